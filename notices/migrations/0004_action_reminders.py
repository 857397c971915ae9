"""The practice action reminders' kind of message (their schedule is practice's:
practice 0005_action_reminder_schedule)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0003_password_reset_kind"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notice",
            name="kind",
            field=models.CharField(
                choices=[
                    ("returned", "Returned for amendment"),
                    ("amendment_reminder", "Amendment overdue: reminder"),
                    ("amendment_escalation", "Amendment overdue: escalation"),
                    ("outcome_changed", "Review corrected: outcome changed"),
                    ("qa_reminder", "QA worklist reminder"),
                    ("qa_escalation", "QA overdue: escalation"),
                    ("social_care_report", "Social care team report"),
                    ("password_reset", "Password reset link"),
                    ("action_reminder", "Practice actions: reminder"),
                ],
                max_length=24,
            ),
        ),
    ]
