from django.apps import AppConfig


class SamplingConfig(AppConfig):
    name = "sampling"
    verbose_name = "QA sampling and moderation"

    def ready(self):
        # Connects the receiver that ticks off sample entries when a review is submitted.
        from .services import bookkeeping  # noqa: F401
