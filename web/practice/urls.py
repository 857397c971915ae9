from django.urls import path

from . import capability, views

app_name = "practice"

urlpatterns = [
    path("peer-reviews/", views.peer_reviews, name="peer_reviews"),
    path("peer-reviews/new/", views.peer_review_new, name="peer_review_new"),
    path("peer-reviews/<int:pk>/", views.peer_review_detail, name="peer_review_detail"),
]

# The confidential capability process (web/practice/capability.py).
urlpatterns += [
    path("staff/<int:officer_pk>/capability/", capability.capability, name="capability"),
]
