from django.urls import path

from . import views

app_name = "peps"
urlpatterns = [
    path("", views.pep_list_view, name="list"),
    path("<int:pk>/", views.pep_detail, name="detail"),
    path("<int:pk>/amended/", views.pep_mark_amended, name="mark_amended"),
    path("<int:pk>/finalise/", views.pep_finalise, name="finalise"),
]
