"""The OpenID Connect sign-in's two addresses, routed only when ``OIDC_ENABLED``.

Both are public (the person is not signed in yet) and keep mozilla-django-oidc's names,
which its views reverse."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.urls import path
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView


class CallbackView(OIDCAuthenticationCallbackView):
    def login_failure(self):
        if not getattr(self.request, "oidc_refusal_said", False):  # set by CouncilOIDCBackend
            messages.error(
                self.request,
                f"Signing in with your {settings.OIDC_PROVIDER_NAME} account did not work. Try again, "
                "or sign in with your username and password.",
            )
        return super().login_failure()


urlpatterns = [
    path("callback/", login_not_required(CallbackView.as_view()), name="oidc_authentication_callback"),
    path("authenticate/", login_not_required(OIDCAuthenticationRequestView.as_view()), name="oidc_authentication_init"),
]
