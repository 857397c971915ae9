"""Which child an audited record concerns: the key of a child's page of the trail."""

from django.db import models

from peps.models import AspirationEntry, Child, Pep
from practice.models import GoldExemplar, PeerReviewPep
from reviews.models import Amendment, AreaRating, QaReview, ReviewCorrection
from sampling.models import ModerationSettlement, SampleEntry

# The path from each record to its child's id. A model not here concerns no one child
# (a pro-forma, a sample, a user, a peer-review meeting, an export of many children).
CHILD_PATHS: dict[type[models.Model], str] = {
    Child: "id",
    Pep: "child_id",
    AspirationEntry: "pep__child_id",
    QaReview: "pep__child_id",
    AreaRating: "review__pep__child_id",
    ReviewCorrection: "review__pep__child_id",
    Amendment: "pep__child_id",
    SampleEntry: "pep__child_id",
    ModerationSettlement: "entry__pep__child_id",
    PeerReviewPep: "pep__child_id",
    GoldExemplar: "review__pep__child_id",
}

# Set on an instance about to be deleted (pre_delete), while the rows its path runs
# through still exist: a cascade deletes them before the entry is written.
CACHED = "_audit_child_id"


def child_of(instance: models.Model) -> int | None:
    """The id of the child ``instance`` concerns, or None. Follows relations already
    loaded without a query; otherwise one query."""
    path = CHILD_PATHS.get(type(instance))
    if path is None:
        return None
    if hasattr(instance, CACHED):
        return getattr(instance, CACHED)
    obj: models.Model = instance
    *hops, last = path.split("__")
    for hop in hops:
        field = type(obj)._meta.get_field(hop)
        if not field.is_cached(obj):  # type: ignore[union-attr]
            return _query(instance, path)
        related = getattr(obj, hop)
        if related is None:
            return None
        obj = related
    return getattr(obj, last)


def _query(instance: models.Model, path: str) -> int | None:
    if instance.pk is None:
        return None
    return type(instance)._default_manager.filter(pk=instance.pk).values_list(path, flat=True).first()


def children_of(model: type[models.Model], pks) -> dict:
    """{pk: child id} for records of ``model`` (one query)."""
    path = CHILD_PATHS.get(model)
    if path is None or not pks:
        return {}
    if path == "id":
        return {pk: pk for pk in pks}
    return dict(model._default_manager.filter(pk__in=list(pks)).values_list("pk", path))
