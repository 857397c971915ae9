"""Signing in through the council's identity provider (OpenID Connect, mozilla-django-oidc).

On only when ``OIDC_ENABLED`` (the client id and the provider's endpoints are set). The
provider proves who the person is; this service decides what they may do: a person is
matched by their verified e-mail address to an existing, active account, and nobody is
created (an unknown person is refused with a message saying whom to ask). Roles, line
managers and lead areas stay managed here. The second factor still follows unless
``OIDC_TRUSTS_IDP_MFA`` says the provider's own multi-factor authentication stands for it.
"""

import logging

from django.conf import settings
from django.contrib import messages
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .second_factor import IDP_MFA_SESSION_KEY

logger = logging.getLogger(__name__)


class CouncilOIDCBackend(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims):
        email = (claims.get("email") or "").strip()
        if not email or claims.get("email_verified") is False:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email, is_active=True)

    def get_or_create_user(self, access_token, id_token, payload):
        user = super().get_or_create_user(access_token, id_token, payload)
        if user is None:
            logger.info("OIDC sign-in refused: no active account with that e-mail address")
            self.request.oidc_refusal_said = True
            messages.error(
                self.request,
                f"There is no account in this service for your {settings.OIDC_PROVIDER_NAME} account. "
                "Ask your Virtual School administrator to add you, with your work e-mail address.",
            )
        return user

    def authenticate(self, request, **kwargs):
        user = super().authenticate(request, **kwargs)
        if user is not None and settings.OIDC_TRUSTS_IDP_MFA:
            # Kept by login(), which cycles the session key of this anonymous session.
            request.session[IDP_MFA_SESSION_KEY] = True
        return user
