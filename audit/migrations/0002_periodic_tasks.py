"""The daily retention job of the audit trail, kept by django-celery-beat (editable in the
admin under Periodic tasks). Idempotent: found by name, never duplicated; an edited
schedule is left as it is."""

from django.db import migrations
from django.utils import timezone

TIMEZONE = "Europe/London"
SCHEDULE = {
    "name": "Delete audit trail entries past their retention",
    "task": "audit.tasks.purge_audit_trail",
    "crontab": {"minute": "30", "hour": "3", "day_of_week": "*"},
    "description": "Every day at 03:30 (UK time): delete the audit trail's entries older than "
    "AUDIT_RETENTION_DAYS (default 2557 days, 7 years).",
}


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        day_of_month="*", month_of_year="*", timezone=TIMEZONE, **SCHEDULE["crontab"]
    )
    PeriodicTask.objects.get_or_create(
        name=SCHEDULE["name"],
        defaults={
            "task": SCHEDULE["task"],
            "crontab": crontab,
            "description": SCHEDULE["description"],
            "enabled": True,
        },
    )
    # Historical models skip django-celery-beat's signal: tell a running beat to reload.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=SCHEDULE["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
