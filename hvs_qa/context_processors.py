from django.conf import settings


def authority(request):
    return {
        "authority_name": settings.VIRTUAL_SCHOOL_NAME,
        "council_name": settings.AUTHORITY_NAME,
    }
