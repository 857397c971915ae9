import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hvs_qa.settings")

app = Celery("hvs_qa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
