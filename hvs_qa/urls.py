from django.contrib import admin
from django.urls import include, path

from web import home

urlpatterns = [
    path("", home.home, name="home"),
    path("", include("accounts.urls")),
    path("peps/", include("web.peps.urls")),
    path("reviews/", include("web.reviews.urls")),
    path("qa/", include("web.sampling.urls")),
    path("qa/", include("web.practice.urls")),
    path("reports/pdf/", include("web.reporting.report_urls")),
    path("reports/", include("web.reporting.urls")),
    path("imports/", include("web.imports.urls")),
    path("audit/", include("web.audit.urls")),
    path("admin/", admin.site.urls),
]
