"""Search text kept out of addresses: a child's name typed into a search box never goes
into a URL (browser history, proxy and server logs, the Referer header).

The search form posts; the text is kept in the user's session under a short random token
that expires, and the page redirects to ``?search=<token>``. Pagination, sorting and
"remove this filter" links carry the token, never the text. A token is only looked up in
the session that made it, so another user (or the same user signed in again) cannot read
it: for them it has expired.
"""

import secrets
import time

from django.conf import settings
from django.http import HttpRequest

SEARCH_PARAM = "search"
SESSION_KEY = "hvs_searches"
# Kept per session at most; the oldest go first.
MAX_SEARCHES = 20


def _lifetime() -> int:
    return int(getattr(settings, "SEARCH_TOKEN_SECONDS", 60 * 60))


def remember_search(request: HttpRequest, text: str) -> str:
    """Keep ``text`` in the session and return the token that stands for it."""
    now = time.time()
    searches = {
        token: entry
        for token, entry in request.session.get(SESSION_KEY, {}).items()
        if entry.get("expires", 0) > now and entry.get("text") != text
    }
    token = secrets.token_urlsafe(6)  # 8 characters, 48 random bits
    searches[token] = {"text": text, "expires": now + _lifetime()}
    if len(searches) > MAX_SEARCHES:
        newest = sorted(searches.items(), key=lambda item: item[1]["expires"])[-MAX_SEARCHES:]
        searches = dict(newest)
    request.session[SESSION_KEY] = searches
    return token


def recall_search(request: HttpRequest, token: str) -> str | None:
    """The text ``token`` stands for in this session, or None (unknown, expired, another
    session's)."""
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not isinstance(entry, dict) or entry.get("expires", 0) <= time.time():
        return None
    text = entry.get("text")
    return text if isinstance(text, str) else None
