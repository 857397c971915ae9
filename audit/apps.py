from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from . import registration, trail  # noqa: F401  (registers the models, connects the receivers)

        registration.register_all()
