from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Staff"

    def ready(self):
        from . import lockout, sessions  # noqa: F401  (connect their sign-in receivers)
