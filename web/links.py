"""Links for long tables: a URL pattern reversed once and filled in per row, since
``reverse`` (and the ``{% url %}`` tag) per row is a large share of a 400-row page."""

from collections.abc import Callable

from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

_PLACEHOLDER = 2_147_483_647  # a pk no table reaches, and digits a URL prefix never holds


def pk_url(name: str) -> Callable[[int], str]:
    """``pk_url("peps:detail")(pk) == reverse("peps:detail", args=[pk])``, for a URL whose
    only argument is an integer."""
    pattern = reverse(name, args=[_PLACEHOLDER])
    marker = str(_PLACEHOLDER)
    assert pattern.count(marker) == 1, pattern
    before, after = pattern.split(marker)
    return lambda pk: f"{before}{int(pk)}{after}"


def local_path(request, target: str) -> str:
    """``target`` if it is a path on this site, else "": a ``next`` to go back to after a
    POST (redirect() would take "x" for a URL name and fail on it; an address elsewhere
    would be an open redirect)."""
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""
