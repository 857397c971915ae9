from django.conf import settings


def sign_in_options(request) -> dict:
    """The council's identity provider's name when signing in through it is configured."""
    return {"oidc_provider_name": settings.OIDC_PROVIDER_NAME if settings.OIDC_ENABLED else ""}
