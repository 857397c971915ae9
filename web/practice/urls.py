from django.urls import path

from . import capability, supervision_views, views

app_name = "practice"

urlpatterns = [
    path("peer-reviews/", views.peer_reviews, name="peer_reviews"),
    path("peer-reviews/new/", views.peer_review_new, name="peer_review_new"),
    path("peer-reviews/<int:pk>/", views.peer_review_detail, name="peer_review_detail"),
]

# One-to-one supervision (issue 11).
urlpatterns += [
    path("supervisions/", supervision_views.supervisions, name="supervisions"),
    path("supervisions/new/", supervision_views.supervision_new, name="supervision_new"),
    path("supervisions/<int:pk>/", supervision_views.supervision_detail, name="supervision_detail"),
    path("supervisions/<int:pk>/edit/", supervision_views.supervision_edit, name="supervision_edit"),
    path("my-development/", supervision_views.my_development, name="my_development"),
]

# The confidential capability process (web/practice/capability.py).
urlpatterns += [
    path("staff/<int:officer_pk>/capability/", capability.capability, name="capability"),
]
