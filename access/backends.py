"""Authentication backends."""

from django.contrib.auth.backends import ModelBackend


class ModelPermissionBackend(ModelBackend):
    """Django's model permissions (the admin's), which know nothing of the access
    policy's ``hvs.*`` permissions: asking them would only load the user's permission
    rows from the database, on every page, to answer no."""

    def has_perm(self, user_obj, perm, obj=None):
        if perm.startswith("hvs."):
            return False
        return super().has_perm(user_obj, perm, obj)
