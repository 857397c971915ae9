"""A peer-review meeting's actions become PracticeAction records; the free-text field goes.

Each meeting with actions text gets one open action: its owner the recorder (or else the
first attendee), due 28 days after the meeting, the text as its description. A meeting
with no one to own it keeps the text at the end of its findings ("Actions: ..."), so
nothing written is lost.
"""

from datetime import timedelta

from django.db import migrations

ACTIONS_DUE_AFTER = timedelta(days=28)


def move_actions_to_records(apps, schema_editor):
    Meeting = apps.get_model("practice", "PeerReviewMeeting")
    PracticeAction = apps.get_model("practice", "PracticeAction")
    for meeting in Meeting.objects.exclude(actions="").order_by("pk").iterator():
        text = meeting.actions.strip()
        if not text:
            continue
        owner_id = meeting.recorded_by_id
        if owner_id is None:
            first = meeting.attendees.order_by("first_name", "last_name", "pk").values_list("pk", flat=True).first()
            owner_id = first
        if owner_id is None:
            meeting.findings = f"{meeting.findings.rstrip()}\n\nActions: {text}".strip()
        else:
            PracticeAction.objects.create(
                peer_review_id=meeting.pk,
                owner_id=owner_id,
                due=meeting.date + ACTIONS_DUE_AFTER,
                description=text,
                status="open",
                created_by_id=meeting.recorded_by_id,
            )
        meeting.actions = ""
        meeting.save(update_fields=["findings", "actions"])


def move_actions_back(apps, schema_editor):
    """Reversed: the actions of each meeting as text again (the records stay)."""
    Meeting = apps.get_model("practice", "PeerReviewMeeting")
    PracticeAction = apps.get_model("practice", "PracticeAction")
    for meeting in Meeting.objects.order_by("pk").iterator():
        texts = list(
            PracticeAction.objects.filter(peer_review_id=meeting.pk)
            .order_by("pk")
            .values_list("description", flat=True)
        )
        if texts:
            meeting.actions = "\n".join(texts)
            meeting.save(update_fields=["actions"])


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0003_supervision_extra"),
    ]

    operations = [
        migrations.RunPython(move_actions_to_records, move_actions_back),
        migrations.RemoveField(model_name="peerreviewmeeting", name="actions"),
    ]
