from django.urls import path

from . import views

app_name = "notices"
urlpatterns = [
    path("", views.message_list, name="list"),
    path("<int:pk>/", views.message_detail, name="detail"),
    path("<int:pk>/resend/", views.message_resend, name="resend"),
]
