"""Sign-in lockout (django-axes): who the client is, and what a locked-out sign-in sees.

axes counts failures per username and per address in the database (settings,
"Sign-in"). While locked, its backend refuses every sign-in, the right password too, and
its middleware answers with ``lockout_response``: back to the sign-in page with a message
saying why and for how long, not a bare error page.
"""

from axes.utils import reset as reset_failed_sign_ins
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme, urlencode


def lockout_message() -> str:
    minutes = settings.AXES_COOLOFF_MINUTES
    return (
        f"Your account is locked for {minutes} minutes after {settings.AXES_FAILURE_LIMIT} failed "
        "sign-ins. Try again later or ask an administrator to unlock it."
    )


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The sign-in page again (its ``next`` kept if it is ours), with the lockout message."""
    messages.error(request, lockout_message(), extra_tags="lockout")
    url = resolve_url(settings.LOGIN_URL)
    following = request.POST.get("next") or request.GET.get("next") or ""
    if following and url_has_allowed_host_and_scheme(following, allowed_hosts={request.get_host()}):
        url = f"{url}?{urlencode({'next': following})}"
    return HttpResponseRedirect(url)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, unless settings.TRUSTED_PROXY_COUNT reverse proxies
    stand in front, each appending the address it saw to X-Forwarded-For; then the entry that
    many from the right. Entries further left are whatever the client sent."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


@receiver(user_logged_in, dispatch_uid="accounts.lockout.signed_in")
def clear_own_failures(sender, request, user, **kwargs) -> None:
    """A successful sign-in clears that username's failures, and only those (see
    settings.AXES_RESET_ON_SUCCESS): not other usernames' failures from the same address."""
    reset_failed_sign_ins(username=user.get_username())


# AccessAttempt.username is 255 characters: a longer one typed (or scripted) must count as
# a failure, not end the sign-in with a database error. Usernames are at most 150.
USERNAME_KEPT = 150


def client_username(request: HttpRequest, credentials=None) -> str:
    """The username axes counts failures against: as typed, cut to a username's length."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(username)[:USERNAME_KEPT]
