from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("templates/<slug:kind>.csv", views.template_csv, name="template"),
    path("<int:pk>/", views.run_detail, name="run"),
    path("<int:pk>/mapping/", views.run_mapping, name="mapping"),
    path("<int:pk>/preview-again/", views.run_refresh, name="refresh"),
    path("<int:pk>/apply/", views.run_apply, name="apply"),
    path("<int:pk>/errors.csv", views.errors_csv, name="errors_csv"),
]
