"""The project's middleware: NUL bytes refused (below), and sessions timed out
(``SessionTimeoutMiddleware``, at the end).

Refuse requests that carry a NUL byte, before any view or database query sees them.

PostgreSQL cannot hold a NUL (0x00) in text, so psycopg raises on any query that passes
one: a search box, an admin filter or autocomplete, a form field or a session cookie with
a NUL in it would answer 500. No address, form or cookie of the service needs one, so such
a request is answered 400 Bad Request here, once, for every app and the admin.
"""

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.cache import patch_cache_control

from accounts import sessions

NUL = "\x00"


def _has_nul(items: Iterable[tuple[str, list[str]]]) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in items)


def carries_nul(request: HttpRequest) -> bool:
    """Whether the path, the query string, the form or a cookie holds a NUL byte."""
    return (
        NUL in request.path_info
        or _has_nul(request.GET.lists())
        or _has_nul((name, [value]) for name, value in request.COOKIES.items())
        or (request.method == "POST" and _has_nul(request.POST.lists()))
    )


class RejectNulBytesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if carries_nul(request):
            # Plain text: a styled page would read the user, and so the session, which a
            # NUL in the session cookie is the very thing that breaks.
            return HttpResponseBadRequest(
                "Bad request: the address, form or a cookie contains a NUL character.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """Signs out after SESSION_IDLE_TIMEOUT without activity, and SESSION_COOKIE_AGE after
    signing in (accounts/sessions.py), then sends the person to the sign-in page, which says
    why. An automatic request (``X-Background-Request: 1``) is answered but does not count
    as activity; once signed out, it gets 401 (with HX-Redirect for htmx) rather than a page.
    Needs the session, the user and messages: it comes after their middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            reason = sessions.expired_because(request.session)
            if reason:
                return self.signed_out(request, reason)
            if not sessions.is_background(request):
                sessions.record_activity(request.session)
        return self.get_response(request)

    def signed_out(self, request: HttpRequest, reason: str) -> HttpResponse:
        logout(request)
        messages.info(request, sessions.signed_out_message(reason), extra_tags="signed-out")
        login = redirect_to_login(request.get_full_path())
        if sessions.is_background(request) or request.headers.get("HX-Request"):
            response: HttpResponse = JsonResponse({"signed_out": reason, "sign_in": login.url}, status=401)
            if request.headers.get("HX-Request"):
                current = urlsplit(request.headers.get("HX-Current-URL", ""))
                page = current.path + (f"?{current.query}" if current.query else "")
                response["HX-Redirect"] = redirect_to_login(page).url if current.path else login.url
            return response
        return login


# --- Issue 10 (hardening): no caching of anything the service answers -----------------


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response that reaches Django: every page,
    download (the PDFs, CSV and XLSX), redirect and error. Static files never get here
    (WhiteNoise answers them first, with its own long-lived caching), and they show no
    child. Simplest safe rule: nothing that could show a child is kept by the browser, a
    shared computer's back button or a proxy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_cache_control(response, no_store=True)
        if "public" in response.get("Cache-Control", ""):
            patch_cache_control(response, private=True)  # drops "public"
        return response
