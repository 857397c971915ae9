"""How long a signed-in session lasts: SESSION_IDLE_TIMEOUT without activity, and
SESSION_COOKIE_AGE from signing in whatever happens (hvs_qa.middleware enforces both).

The session keeps when it signed in and when it was last active. A request counts as
activity unless it is automatic: the page asks with ``X-Background-Request: 1`` when it
polls (a report's status) or checks how long is left (the sign-out warning). A user's own
background requests, such as the rating page's live judgement after a click, count.
"""

import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

SIGNED_IN_AT = "hvs_signed_in_at"
LAST_ACTIVE_AT = "hvs_last_active_at"
BACKGROUND_HEADER = "X-Background-Request"


def is_background(request: HttpRequest) -> bool:
    return request.headers.get(BACKGROUND_HEADER) == "1"


def expired_because(session, now: float | None = None) -> str | None:
    """ "idle", "absolute" or None: why this session should be signed out now."""
    now = time.time() if now is None else now
    signed_in = session.get(SIGNED_IN_AT)
    last_active = session.get(LAST_ACTIVE_AT)
    if signed_in is not None and now - signed_in >= settings.SESSION_COOKIE_AGE:
        return "absolute"
    if last_active is not None and now - last_active >= settings.SESSION_IDLE_TIMEOUT:
        return "idle"
    return None


def seconds_left(session, now: float | None = None) -> int:
    """Seconds until this session is signed out, if nothing more happens."""
    now = time.time() if now is None else now
    idle = session.get(LAST_ACTIVE_AT, now) + settings.SESSION_IDLE_TIMEOUT - now
    absolute = session.get(SIGNED_IN_AT, now) + settings.SESSION_COOKIE_AGE - now
    return max(0, int(min(idle, absolute)))


def record_activity(session, now: float | None = None) -> None:
    now = time.time() if now is None else now
    session.setdefault(SIGNED_IN_AT, now)
    last_active = session.get(LAST_ACTIVE_AT)
    if last_active is None or now - last_active >= settings.SESSION_ACTIVITY_RESOLUTION:
        session[LAST_ACTIVE_AT] = now


def signed_out_message(reason: str) -> str:
    if reason == "idle":
        return f"You were signed out after {_minutes(settings.SESSION_IDLE_TIMEOUT)} without activity. Sign in again."
    return (
        f"You were signed out because you had been signed in for {_minutes(settings.SESSION_COOKIE_AGE)}. "
        "Sign in again."
    )


def _minutes(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@receiver(user_logged_in, dispatch_uid="accounts.sessions.signed_in")
def signed_in(sender, request, user, **kwargs) -> None:
    """The absolute timeout counts from here (a session kept through sign-in starts again)."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[LAST_ACTIVE_AT] = now
