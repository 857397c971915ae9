from django.urls import path

from . import views

app_name = "reporting"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("schools/", views.school_table, name="schools"),
    path("figures.csv", views.figures_csv, name="figures_csv"),
    path("figures.xlsx", views.figures_xlsx, name="figures_xlsx"),
    path("ratings.csv", views.ratings_csv, name="ratings_csv"),
    path("ratings.xlsx", views.ratings_xlsx, name="ratings_xlsx"),
]
