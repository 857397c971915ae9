"""The daily escalation of overdue QA, kept by django-celery-beat (editable in the admin
under Periodic tasks). Idempotent: found by name, never duplicated; an edited schedule is
left as it is. The task itself sends nothing on a day the schools are closed."""

from django.db import migrations
from django.utils import timezone

TIMEZONE = "Europe/London"
SCHEDULE = {
    "name": "Overdue QA: escalations",
    "task": "sampling.tasks.escalate_overdue_qa",
    "crontab": {"minute": "50", "hour": "7", "day_of_week": "1-5"},
    "description": "Weekdays at 07:50 (UK time), on school days only: worklist entries past their due "
    "date go to the reviewer's line manager, then, still not done QA_ESCALATE_TO_VSH_AFTER_SCHOOL_DAYS "
    "school days later, to the VSH (LA references only); each entry once a step.",
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
        ("sampling", "0004_sampleentry_escalation"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
