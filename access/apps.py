from django.apps import AppConfig


class AccessConfig(AppConfig):
    """The one access policy: see access/policy.py."""

    name = "access"

    def ready(self):
        # Registers the policy's permissions with django-rules.
        from . import policy  # noqa: F401
