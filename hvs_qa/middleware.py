"""Refuse requests that carry a NUL byte, before any view or database query sees them.

PostgreSQL cannot hold a NUL (0x00) in text, so psycopg raises on any query that passes
one: a search box, an admin filter or autocomplete, a form field or a session cookie with
a NUL in it would answer 500. No address, form or cookie of the service needs one, so such
a request is answered 400 Bad Request here, once, for every app and the admin.
"""

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.cache import patch_cache_control

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
