from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Staff, children and PEPs imported from the systems a Virtual School already has."""

    name = "imports"
    verbose_name = "Imports"
