from django.urls import path

from . import exemplar_views, learning, views

app_name = "practice"

urlpatterns = [
    path("peer-reviews/", views.peer_reviews, name="peer_reviews"),
    path("peer-reviews/new/", views.peer_review_new, name="peer_review_new"),
    path("peer-reviews/<int:pk>/", views.peer_review_detail, name="peer_review_detail"),
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
