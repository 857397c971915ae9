from django.urls import path

from . import views

app_name = "peps"
urlpatterns = [
    path("", views.pep_list_view, name="list"),
    path("<int:pk>/", views.pep_detail, name="detail"),
    path("<int:pk>/amended/", views.pep_mark_amended, name="mark_amended"),
    path("<int:pk>/finalise/", views.pep_finalise, name="finalise"),
    path("finalise/", views.pep_finalise_selected, name="finalise_selected"),
    # Recording a PEP meeting (a child's first PEP of the term, or a draft) and submitting it.
    path("children/<int:child_pk>/record/", views.pep_record_new, name="record_new"),
    path("<int:pk>/record/", views.pep_record, name="record"),
    path("<int:pk>/submit/", views.pep_submit, name="submit"),
]
