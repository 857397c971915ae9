from django.urls import path

from . import views

app_name = "sampling"
urlpatterns = [
    path("entries/<int:pk>/start/", views.entry_start, name="entry_start"),
    path("coverage/", views.coverage, name="coverage"),
    path("moderation/", views.moderation, name="moderation"),
    path("moderation/<int:pk>/settle/", views.settle, name="settle"),
]
