from django.urls import path

from . import views

app_name = "reviews"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("start/<int:pep_pk>/", views.review_start, name="start"),
    path("<int:pk>/", views.review_detail, name="detail"),
    path("<int:pk>/rate/", views.review_rate, name="rate"),
    path("<int:pk>/judgement/", views.review_judgement_preview, name="judgement"),
]
