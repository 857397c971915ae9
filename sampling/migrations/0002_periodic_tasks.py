"""The default schedules of the sampling jobs, kept by django-celery-beat (editable in the
admin under Periodic tasks). Idempotent: found by name, never duplicated; an edited
schedule is left as it is."""

from django.db import migrations
from django.utils import timezone

TIMEZONE = "Europe/London"
SCHEDULES = [
    {
        "name": "Draw and top up this term's QA samples",
        "task": "sampling.tasks.draw_samples_for_open_terms",
        "crontab": {"minute": "0", "hour": "6", "day_of_week": "*"},
        "description": "Every day at 06:00 (UK time): draw the samples of every open term, and "
        "top them up with PEPs added since. Safe to run again.",
    },
    {
        "name": "QA worklist reminders",
        "task": "sampling.tasks.send_worklist_reminders",
        "crontab": {"minute": "30", "hour": "7", "day_of_week": "1-5"},
        "description": "Weekdays at 07:30 (UK time): email each reviewer the QA due soon or "
        "overdue (LA references only); an entry is reminded at most once a week.",
    },
]


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for schedule in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            day_of_month="*", month_of_year="*", timezone=TIMEZONE, **schedule["crontab"]
        )
        PeriodicTask.objects.get_or_create(
            name=schedule["name"],
            defaults={
                "task": schedule["task"],
                "crontab": crontab,
                "description": schedule["description"],
                "enabled": True,
            },
        )
    # Historical models skip django-celery-beat's signal: tell a running beat to reload.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[s["name"] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sampling", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
