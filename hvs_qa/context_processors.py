from django.conf import settings

from accounts import sessions


def authority(request):
    return {
        "authority_name": settings.VIRTUAL_SCHOOL_NAME,
        "council_name": settings.AUTHORITY_NAME,
        # The privacy notice says how long the audit trail is kept.
        "audit_retention_years": round(settings.AUDIT_RETENTION_DAYS / 365.25),
    }


def session_timeout(request):
    """The sign-out warning's settings (templates/includes/session_timeout.html)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    warning = min(settings.SESSION_IDLE_WARNING, settings.SESSION_IDLE_TIMEOUT)
    minutes = max(1, round(warning / 60))
    return {
        "session_timeout": {
            "idle": settings.SESSION_IDLE_TIMEOUT,
            "warning": warning,
            "seconds_left": sessions.seconds_left(request.session),
            "warning_text": f"{minutes} minute{'s' if minutes != 1 else ''}",
        }
    }
