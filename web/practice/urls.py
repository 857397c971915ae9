from django.urls import path

from . import views

app_name = "practice"

urlpatterns = [
    path("peer-reviews/", views.peer_reviews, name="peer_reviews"),
    path("peer-reviews/new/", views.peer_review_new, name="peer_review_new"),
    path("peer-reviews/<int:pk>/", views.peer_review_detail, name="peer_review_detail"),
]
