"""The second factor: TOTP from an authenticator app, and single-use recovery codes.

Built on django-otp: a confirmed ``TOTPDevice`` is the user's authenticator app, a
``StaticDevice`` holds their recovery codes (each deleted when used). django-otp's
``OTPMiddleware`` marks ``request.user.is_verified()`` from the session; the
``SecondFactorMiddleware`` below, installed after it, sends a user who has signed in with
their password but not yet with a code to the step they need (enrolment or the code), on
every page but signing in and out, the second-factor pages and the public pages.
Both devices throttle wrong codes (django-otp's ``ThrottlingMixin``: after n failures the
next attempt waits 2^(n-1) seconds, ``OTP_TOTP_THROTTLE_FACTOR``/``OTP_STATIC_THROTTLE_FACTOR``).
"""

from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import django_otp
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
# Set in the session when the council's identity provider signed the user in and
# OIDC_TRUSTS_IDP_MFA says its multi-factor authentication stands for ours.
IDP_MFA_SESSION_KEY = "second_factor_by_idp"
# The URL names an unverified user may still open (besides the login_not_required pages).
OPEN_VIEW_NAMES = {"login", "logout", "admin:logout", "oidc_authentication_init", "oidc_authentication_callback"}
OPEN_NAMESPACE = "second_factor"


def confirmed_app(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def app_to_set_up(user) -> TOTPDevice:
    """The user's unconfirmed authenticator device, made once, so reloading the set-up page
    shows the same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def normalise(code: str) -> str:
    """What people type: spaces and hyphens dropped, recovery codes in lower case."""
    return "".join(code.split()).replace("-", "").lower()


@dataclass(frozen=True)
class Outcome:
    device: TOTPDevice | StaticDevice | None
    locked_until: datetime | None = None


def _throttled(device) -> datetime | None:
    allowed, data = device.verify_is_allowed()
    return None if allowed else (data or {}).get("locked_until")


def check_code(user, code: str) -> Outcome:
    """The device that accepts ``code`` (a 6-digit code from the app, or a recovery code,
    which is then used up), under django-otp's row lock and throttling. While the wait after
    wrong codes runs, no code is tried and ``locked_until`` says until when."""
    code = normalise(code)
    model = TOTPDevice if code.isdigit() else StaticDevice
    devices = list(model.objects.filter(user=user, confirmed=True))
    waits = [until for device in devices if (until := _throttled(device))]
    if devices and len(waits) == len(devices):
        return Outcome(None, max(waits))
    for device in devices:
        verified = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            return Outcome(verified)
    return Outcome(None)


def confirm_app(device: TOTPDevice, code: str) -> bool:
    """Confirm a new authenticator device with a code from it (throttled like any code)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(normalise(code)):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    return True


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with fresh ones; shown once, then kept only here."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(settings.OTP_RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def reset(user) -> int:
    """An administrator's reset: every device of the user goes, so their next page (even in a
    session already verified) asks them to set up an authenticator app again."""
    deleted_app, _ = TOTPDevice.objects.filter(user=user).delete()
    deleted_codes, _ = StaticDevice.objects.filter(user=user).delete()
    return deleted_app + deleted_codes


def is_verified(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    if getattr(user, "is_verified", lambda: False)():
        return True
    return bool(settings.OIDC_TRUSTS_IDP_MFA and request.session.get(IDP_MFA_SESSION_KEY))


class SecondFactorMiddleware:
    """Until a signed-in user has given their second factor, every page but the open ones
    redirects to it: to enrolment when they have no authenticator app yet, else to the code.
    After django-otp's OTPMiddleware and Django's LoginRequiredMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if not settings.OTP_REQUIRED or not request.user.is_authenticated or is_verified(request):
            return None
        request.second_factor_pending = True  # type: ignore[attr-defined]
        if not getattr(view_func, "login_required", True):
            return None  # the public pages: sign in, accessibility, privacy
        match = request.resolver_match
        if match and (match.view_name in OPEN_VIEW_NAMES or match.namespace == OPEN_NAMESPACE):
            return None
        step = "second_factor:verify" if has_second_factor(request.user) else "second_factor:enrol"
        return redirect_to_login(request.get_full_path(), step)


def base32_secret(device: TOTPDevice) -> str:
    """The key as people type it into an authenticator app by hand."""
    return b32encode(device.bin_key).decode("ascii").rstrip("=")
