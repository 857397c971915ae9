"""After the password: set up an authenticator app on first sign-in, then a code each time
(or a recovery code, used up). ``accounts.second_factor.SecondFactorMiddleware`` sends every
other page here until the code is given."""

import math

import segno
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import second_factor

from .forms import CodeForm

NEW_CODES_SESSION_KEY = "second_factor_new_codes"
FEW_CODES_LEFT = 3


def _next(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure()):
        return url
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, request: HttpRequest) -> str:
    return f"{reverse(name)}?{urlencode({'next': _next(request)})}"


def _locked_message(locked_until) -> str:
    seconds = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
    return f"Too many wrong codes. Wait {seconds} second{pluralize(seconds)}, then try again."


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    if second_factor.is_verified(request):
        return HttpResponseRedirect(_next(request))
    if not second_factor.has_second_factor(request.user):
        return redirect(_with_next("second_factor:enrol", request))
    form = CodeForm(
        request.POST or None,
        hint="Open the authenticator app on your phone. Or enter one of your recovery codes.",
    )
    if request.method == "POST" and form.is_valid():
        outcome = second_factor.check_code(request.user, form.cleaned_data["code"])
        if outcome.device is not None:
            otp_login(request, outcome.device)
            if isinstance(outcome.device, StaticDevice):
                left = second_factor.recovery_codes_left(request.user)
                level = messages.WARNING if left <= FEW_CODES_LEFT else messages.INFO
                messages.add_message(
                    request,
                    level,
                    f"You used a recovery code. You have {left} left: get new ones from "
                    "the recovery codes page if you are running out.",
                )
            return HttpResponseRedirect(_next(request))
        if outcome.locked_until:
            form.add_error("code", _locked_message(outcome.locked_until))
        else:
            form.add_error("code", "The code is not correct. Enter the code now shown in your authenticator app")
    return render(request, "second_factor/verify.html", {"form": form, "next": _next(request)})


def _qr_svg(device) -> str:
    """The otpauth:// address as an inline SVG, made here: the secret never leaves the server."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5, border=4, dark="#0b0c0c", light="#ffffff", svgclass="app-qr-code", lineclass=None
    )
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code to scan with your authenticator app" ', 1)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    if second_factor.has_second_factor(request.user) or second_factor.is_verified(request):
        return redirect(_with_next("second_factor:verify", request))
    device = second_factor.app_to_set_up(request.user)
    form = CodeForm(request.POST or None, numeric=True, hint="For example, 123456", button="Confirm")
    allowed, wait = device.verify_is_allowed()
    if request.method == "POST" and form.is_valid() and not allowed and wait and wait.get("locked_until"):
        form.add_error("code", _locked_message(wait["locked_until"]))
    elif request.method == "POST" and form.is_valid():
        if second_factor.confirm_app(device, form.cleaned_data["code"]):
            device.refresh_from_db()
            otp_login(request, device)
            request.session[NEW_CODES_SESSION_KEY] = second_factor.new_recovery_codes(request.user)
            return redirect(_with_next("second_factor:recovery_codes", request))
        device.refresh_from_db()
        form.add_error(
            "code",
            "The code is not correct. Check your phone sets its time automatically, then enter the code now shown",
        )
    secret = second_factor.base32_secret(device)
    context = {"form": form, "qr_svg": _qr_svg(device), "secret": _grouped(secret), "next": _next(request)}
    return render(request, "second_factor/enrol.html", context)


@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once; or, later, a button for a fresh set."""
    if not second_factor.is_verified(request):
        return redirect(_with_next("second_factor:verify", request))
    if request.method == "POST":
        request.session[NEW_CODES_SESSION_KEY] = second_factor.new_recovery_codes(request.user)
        return redirect(_with_next("second_factor:recovery_codes", request))
    codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    context = {
        "codes": codes,
        "left": second_factor.recovery_codes_left(request.user),
        "next": _next(request),
    }
    return render(request, "second_factor/recovery_codes.html", context)
