from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo school (``manage.py seed_demo``), also used by the benchmarks."""

    name = "demo"
