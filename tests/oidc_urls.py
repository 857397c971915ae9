"""The project's URLs with the OIDC sign-in routed, as hvs_qa/urls.py routes them when
OIDC_ENABLED is set at start-up (tests switch it on with ROOT_URLCONF)."""

from django.urls import include, path

from hvs_qa.urls import urlpatterns as project

urlpatterns = [*project, path("oidc/", include("web.second_factor.oidc_urls"))]
