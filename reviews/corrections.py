"""Telling the DT and SW that a corrected review changed the PEP's outcome. A correction
that returns the PEP opens its amendment (reviews.amendments, whose message asks for the
areas to amend); one that finalises a returned PEP withdraws the amendment and sends the
"outcome changed" message below. Both are written to the outbox in the correction's
transaction (notices.outbox)."""

from core.vocabulary import Rating
from notices.models import Notice, NoticeKind
from notices.outbox import child_for_mail, queue_message
from peps.models import Pep

from .amendments import amendment_people
from .models import ReviewCorrection


def send_outcome_changed_message(correction: ReviewCorrection) -> Notice | None:
    """The DT and SW (the officer copied in): the review was corrected, the PEP no longer
    needs amending and is finalised; why, and what the correction changed."""
    review = correction.review
    pep = Pep.objects.select_related(
        "child__designated_teacher", "child__social_worker", "child__allocated_officer", "officer", "term"
    ).get(pk=review.pep_id)
    to, cc = amendment_people(pep)
    context = {
        "child": child_for_mail(pep.child),
        "pep": pep,
        "review": review,
        "correction": correction,
        "corrected_by": correction.corrected_by.get_full_name() or correction.corrected_by.username,
        "judgement_before": Rating(correction.judgement_before).label if correction.judgement_before else "",
        "judgement_after": Rating(correction.judgement_after).label if correction.judgement_after else "",
        "areas": [
            {
                "title": f"{change['position']}. {change['title']}",
                "before": Rating(change["rating_before"]).label if change["rating_before"] else "not rated",
                "after": Rating(change["rating_after"]).label,
                "rating_changed": change["rating_changed"],
            }
            for change in correction.area_changes
        ],
        "no_dt_or_sw": not to,
    }
    return queue_message(
        kind=NoticeKind.OUTCOME_CHANGED,
        to=to,
        cc=cc,
        template="reviews/email/outcome_changed",
        context=context,
        pep=pep,
        caused_by=correction.corrected_by,
    )
