from django.urls import path

from . import views

app_name = "sampling"
urlpatterns = [
    path("entries/<int:pk>/start/", views.entry_start, name="entry_start"),
    path("coverage/", views.coverage, name="coverage"),
    path("moderation/", views.moderation, name="moderation"),
    path("moderation/<int:pk>/settle/", views.settle, name="settle"),
    path("peer-reviews/", views.peer_reviews, name="peer_reviews"),
    path("peer-reviews/new/", views.peer_review_new, name="peer_review_new"),
    path("peer-reviews/<int:pk>/", views.peer_review_detail, name="peer_review_detail"),
]
