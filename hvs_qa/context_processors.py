from django.conf import settings


def authority(request):
    return {
        "authority_name": settings.VIRTUAL_SCHOOL_NAME,
        "council_name": settings.AUTHORITY_NAME,
        # The privacy notice says how long the audit trail is kept.
        "audit_retention_years": round(settings.AUDIT_RETENTION_DAYS / 365.25),
    }
