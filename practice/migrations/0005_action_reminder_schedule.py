"""The practice action reminders' daily schedule, kept by
django-celery-beat (editable in the admin under Periodic tasks). The schedule is
idempotent: found by name, never duplicated; an edited schedule is left as it is."""

from django.db import migrations
from django.utils import timezone

TIMEZONE = "Europe/London"
SCHEDULE = {
    "name": "Practice actions: reminders",
    "task": "practice.tasks.send_action_reminders",
    "crontab": {"minute": "30", "hour": "7", "day_of_week": "*"},
    "description": "Daily at 07:30 (UK time): one e-mail to each owner of practice actions (agreed at "
    "a supervision or peer review) due within PRACTICE_ACTION_REMINDER_DAYS days, or overdue; each "
    "action is reminded once as due soon and once as overdue.",
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
        ("practice", "0004_peer_review_actions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
