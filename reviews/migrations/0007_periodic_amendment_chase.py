"""The daily chase of overdue PEP amendments, kept by django-celery-beat (editable in the
admin under Periodic tasks). Idempotent: found by name, never duplicated; an edited
schedule is left as it is. The task itself sends nothing on a day the schools are closed."""

from django.db import migrations
from django.utils import timezone

TIMEZONE = "Europe/London"
SCHEDULE = {
    "name": "Overdue PEP amendments: reminders and escalations",
    "task": "reviews.tasks.chase_amendments",
    "crontab": {"minute": "45", "hour": "7", "day_of_week": "1-5"},
    "description": "Weekdays at 07:45 (UK time), on school days only: one reminder to the DT and SW "
    "of each amendment past its due date, then one escalation to the officer and their line manager "
    "AMENDMENT_ESCALATE_AFTER_SCHOOL_DAYS school days later if the PEP is still not amended.",
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
        ("reviews", "0006_reviewcorrection"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
