from django.apps import AppConfig


class PracticeConfig(AppConfig):
    """The improvement of practice: peer review now; supervision records come here later."""

    name = "practice"
