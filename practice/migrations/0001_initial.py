"""Peer review moved here from sampling: the tables are renamed by
sampling.0003_move_peer_review_to_practice, so this only tells Django the models are
practice's now; no data is copied or lost."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("peps", "0002_pep_year_group"),
        ("sampling", "0003_move_peer_review_to_practice"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="PeerReviewMeeting",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("date", models.DateField()),
                        (
                            "focus",
                            models.CharField(
                                choices=[
                                    ("priorities", "The year's priorities"),
                                    ("targets", "PEP targets"),
                                    ("pp_plus", "Use of PP+"),
                                ],
                                max_length=12,
                            ),
                        ),
                        ("focus_notes", models.TextField(blank=True)),
                        ("findings", models.TextField(blank=True)),
                        ("actions", models.TextField(blank=True)),
                        ("attendees", models.ManyToManyField(related_name="peer_reviews", to=settings.AUTH_USER_MODEL)),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "term",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT, related_name="peer_reviews", to="peps.term"
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-date"],
                    },
                ),
                migrations.CreateModel(
                    name="PeerReviewPep",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("findings", models.TextField(blank=True)),
                        (
                            "meeting",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="peps",
                                to="practice.peerreviewmeeting",
                            ),
                        ),
                        (
                            "member",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "pep",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="peer_reviews", to="peps.pep"
                            ),
                        ),
                    ],
                    options={
                        "constraints": [
                            models.UniqueConstraint(fields=("meeting", "pep"), name="pep_once_per_meeting")
                        ],
                    },
                ),
            ],
        ),
    ]
