from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("", include("accounts.urls")),
    path("peps/", include("peps.urls")),
    path("reviews/", include("reviews.urls")),
    path("qa/", include("sampling.urls")),
    path("reports/pdf/", include("reporting.report_urls")),
    path("reports/", include("reporting.urls")),
    path("admin/", admin.site.urls),
]
