"""The report PDFs, mounted at /reports/pdf/ (namespace "reports")."""

from django.urls import path

from . import board_views, report_views, social_care_views

app_name = "reports"

urlpatterns = [
    path("", report_views.index, name="index"),
    path("request/", report_views.request_report, name="request"),
    path("<int:pk>/", report_views.status, name="status"),
    path("<int:pk>/download/", report_views.download, name="download"),
    path("social-care/", report_views.social_care, name="social_care"),
    path("social-care/send/", social_care_views.send, name="social_care_send"),
    # The board report's commentary (the VSH) and its Word version.
    path("board/commentary/", board_views.commentary, name="commentary"),
    path("board/word/", board_views.board_docx, name="board_docx"),
]
