from django.urls import path

from . import capability, exemplar_views, learning, supervision_views, views

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

# Learning from the ratings, and the Gold exemplar library (issue 11).
urlpatterns += [
    path("learning/", learning.learning, name="learning"),
    path("learning.csv", learning.learning_csv, name="learning_csv"),
    path("learning.xlsx", learning.learning_xlsx, name="learning_xlsx"),
    path("reviews/<int:pk>/gold/", exemplar_views.gold_mark, name="gold_mark"),
    path("exemplars/", exemplar_views.exemplars, name="exemplars"),
    path("exemplars/proposals/", exemplar_views.exemplar_proposals, name="exemplar_proposals"),
    path("exemplars/<int:pk>/curate/", exemplar_views.exemplar_curate, name="exemplar_curate"),
    path("exemplars/<int:pk>/decline/", exemplar_views.exemplar_decline, name="exemplar_decline"),
]
