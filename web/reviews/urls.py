from django.urls import path

from web.sampling import views as sampling_views

from . import views

app_name = "reviews"
urlpatterns = [
    # My QA worklist lives with the samples it lists; its URL name stays reviews:worklist.
    path("", sampling_views.worklist, name="worklist"),
    path("start/<int:pep_pk>/", views.review_start, name="start"),
    path("<int:pk>/", views.review_detail, name="detail"),
    path("<int:pk>/rate/", views.review_rate, name="rate"),
    path("<int:pk>/judgement/", views.review_judgement_preview, name="judgement"),
    path("<int:pk>/confirm/", views.review_confirm, name="confirm"),
    path("<int:pk>/correct/", views.review_correct, name="correct"),
    path("<int:pk>/correct/judgement/", views.review_correction_preview, name="correction_judgement"),
]
