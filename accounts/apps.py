from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Staff"

    def ready(self):
        from . import sessions  # noqa: F401  (connects the sign-in receiver)
