from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from web import home

from .health import HealthView

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
    path("messages/", include("web.notices.urls")),
    path("admin/", admin.site.urls),
    # The health check (issue 10, ops): no sign-in, no personal data (hvs_qa/health.py).
    path("health/", login_not_required(HealthView.as_view()), name="health"),
]
