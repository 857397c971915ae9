"""The retention job's record (ReportRequest.file_deleted_at) and its daily schedule, kept by
django-celery-beat (editable in the admin under Periodic tasks). Idempotent: found by name,
never duplicated; an edited schedule is left as it is."""

from django.utils import timezone

from django.db import migrations, models

TIMEZONE = "Europe/London"
SCHEDULE = {
    "name": "Delete files older than their retention period",
    "task": "reporting.tasks.delete_expired_files",
    "crontab": {"minute": "30", "hour": "2", "day_of_week": "*"},
    "description": "Every day at 02:30 (UK time): delete report PDFs and e-mail attachments older than "
    "REPORT_RETENTION_DAYS, and uploaded import files and drop folder files older than "
    "IMPORT_FILE_RETENTION_DAYS (30 days each by default). The records stay, marked expired.",
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
        ("reporting", "0004_periodic_tasks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportrequest",
            name="file_deleted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
