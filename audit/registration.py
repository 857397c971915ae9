"""What the audit trail records changes of: the ONE place to add a model to it.

Each model here gets an entry (who, when, from where, each changed field before and
after) on every save and delete, through django-auditlog's model signals; bulk writes
that skip those signals are recorded from ``core.signals.bulk_written`` (audit.trail).
"""

from auditlog.registry import auditlog
from django.apps import apps
from django.db import models
from django.db.models.signals import pre_delete

from accounts.models import User
from peps.models import AspirationEntry, Child, Pep
from practice.models import (
    CapabilityConcern,
    GoldExemplar,
    PeerReviewMeeting,
    PeerReviewPep,
    PracticeAction,
    Supervision,
    TrainingOffer,
)
from reviews.models import Amendment, AreaRating, ProForma, ProFormaArea, QaReview, ReviewCorrection
from sampling.models import ModerationSettlement, Sample, SampleEntry

from .children import CACHED, CHILD_PATHS, child_of

# Fields that change on every save and say nothing a person did.
NOISE = ["updated_at"]


def withheld(value) -> str:
    """auditlog's mask callable for words the trail must not repeat (its own mask keeps
    half the text)."""
    return "(withheld)"


def withholding(fields: list[str]) -> dict:
    return {"mask_fields": fields, "mask_callable": "audit.registration.withheld"}


# model -> the options of auditlog.register (include_fields, exclude_fields, m2m_fields...).
AUDITED: dict[type[models.Model], dict] = {
    Child: {},
    Pep: {"exclude_fields": NOISE},
    AspirationEntry: {},
    QaReview: {"exclude_fields": NOISE},
    AreaRating: {},
    ReviewCorrection: {},
    Amendment: {},
    ProForma: {},
    ProFormaArea: {},
    Sample: {},
    SampleEntry: {},
    ModerationSettlement: {},
    PeerReviewMeeting: {"m2m_fields": {"attendees"}},
    PeerReviewPep: {},
    # One-to-one supervision: staff records (no child's; the reviews discussed are by id).
    # Their words are personnel matters (the trail is read by administrators): that they
    # changed is recorded, what they say is withheld.
    Supervision: {**withholding(["notes"]), "exclude_fields": NOISE, "m2m_fields": {"reviews"}},
    PracticeAction: withholding(["description", "outcome"]),
    TrainingOffer: {},
    GoldExemplar: {},
    # Never the password hash; last_login changes at every sign-in (not a change of the
    # record). Role, line manager, lead areas, groups, is_active, is_staff... are kept.
    User: {"exclude_fields": ["password", "last_login"], "m2m_fields": {"lead_areas", "groups", "user_permissions"}},
    # Confidential: who opened and closed a capability process, and when; never its notes
    # (the trail is read by administrators). audit/admin.py keeps its entries out of the admin.
    CapabilityConcern: {"exclude_fields": ["notes", *NOISE]},
}

# Models of the apps above this one (the layers forbid importing them here), by label:
# resolved into AUDITED when the app registry is ready.
AUDITED_ABOVE: dict[str, dict] = {
    # The VSH's words for the public board report: who changed them, when, before and after.
    "reporting.BoardCommentary": {"exclude_fields": [*NOISE, "version"]},
}


def register_all() -> None:
    for label, options in AUDITED_ABOVE.items():
        AUDITED.setdefault(apps.get_model(label), options)
    for model, options in AUDITED.items():
        if not auditlog.contains(model):
            auditlog.register(model, **options)
        if model in CHILD_PATHS:
            pre_delete.connect(_remember_child, sender=model, dispatch_uid=f"audit-child-{model._meta.label}")


def _remember_child(sender, instance, **kwargs) -> None:
    """Before a delete (a cascade deletes the rows between a record and its child before
    auditlog writes the entry): note the child on the instance."""
    setattr(instance, CACHED, child_of(instance))
