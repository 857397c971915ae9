"""The termly social care reports, kept by django-celery-beat (editable in the admin under
Periodic tasks). The task runs every weekday and sends a term's reports once, on or after
its send date (SOCIAL_CARE_REPORT_DAYS_AFTER_DEADLINE days after the PEP deadline).
Idempotent: found by name, never duplicated; an edited schedule is left as it is."""

from django.db import migrations
from django.utils import timezone

TIMEZONE = "Europe/London"
SCHEDULE = {
    "name": "Social care reports to the team managers (termly)",
    "task": "reporting.tasks.send_scheduled_social_care_reports",
    "crontab": {"minute": "0", "hour": "8", "day_of_week": "1-5"},
    "description": "Weekdays at 08:00 (UK time): for each term open today whose send date has come "
    "(SOCIAL_CARE_REPORT_DAYS_AFTER_DEADLINE days after its PEP deadline), e-mail each social care "
    "team's manager their own team's exceptions (PDF attached), once per team per term.",
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
        ("reporting", "0003_social_care_dispatches"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
