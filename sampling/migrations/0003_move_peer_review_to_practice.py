"""Peer review moves to the practice app. The tables are renamed in place (their rows,
and the attendees' many-to-many table, are kept); practice.0001_initial then takes the
models over in Django's state."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("sampling", "0002_periodic_tasks"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable("peerreviewmeeting", "practice_peerreviewmeeting"),
                migrations.AlterModelTable("peerreviewpep", "practice_peerreviewpep"),
            ],
            state_operations=[
                migrations.RemoveField("peerreviewpep", "meeting"),
                migrations.RemoveField("peerreviewpep", "member"),
                migrations.RemoveField("peerreviewpep", "pep"),
                migrations.DeleteModel("PeerReviewMeeting"),
                migrations.DeleteModel("PeerReviewPep"),
            ],
        ),
    ]
