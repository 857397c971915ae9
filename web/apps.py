from django.apps import AppConfig


class WebConfig(AppConfig):
    """The pages: views, forms, filters and URLs of every domain app, above the access
    policy they all ask."""

    name = "web"
