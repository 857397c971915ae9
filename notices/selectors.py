"""Reads of the outbox for the messages page, each in a fixed number of queries whatever
the number of messages. Who may read which messages is the access policy's
(``access.policy.visible_notices``): these take the queryset it gives."""

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from post_office.models import Log

from .models import EMAIL_STATUSES, DeliveryState, Notice, NoticeRecipient

# The list's order of states: what needs a person first.
STATE_ORDER = (DeliveryState.FAILED, DeliveryState.WAITING, DeliveryState.SENT)


def state_rank():
    """An expression numbering a message's state in STATE_ORDER, to sort on."""
    return Case(
        *[When(email__status__in=EMAIL_STATUSES[state], then=Value(rank)) for rank, state in enumerate(STATE_ORDER)],
        default=Value(len(STATE_ORDER)),
        output_field=IntegerField(),
    )


def with_attempts(notices: QuerySet[Notice]) -> QuerySet[Notice]:
    """Annotated with ``attempts``: how many times delivery was tried (post_office's log
    of each try, sent or refused)."""
    tries = (
        Log.objects.filter(email=OuterRef("email_id")).order_by().values("email").annotate(n=Count("pk")).values("n")
    )
    return notices.annotate(attempts=Coalesce(Subquery(tries, output_field=IntegerField()), Value(0)))


def listed(notices: QuerySet[Notice]) -> QuerySet[Notice]:
    """What a row of the list shows: the message, its PEP (child, term), its recipients
    and its number of attempts: three queries for a page (the rows, the recipients, and
    the paginator's count), whatever its length."""
    return with_attempts(notices.select_related("email", "pep__child", "pep__term").prefetch_related("recipients"))


def state_counts(notices: QuerySet[Notice]) -> dict[str, int]:
    """How many of ``notices`` are waiting, sent and failed (one query), and in all."""
    counts = notices.order_by().aggregate(
        **{state.value: Count("pk", filter=Q(email__status__in=EMAIL_STATUSES[state])) for state in DeliveryState}
    )
    counts = {state: counts[state] or 0 for state in counts}
    counts["total"] = sum(counts.values())
    return counts


def recipients_matching(text: str) -> QuerySet[NoticeRecipient]:
    """Recipients named or addressed by ``text``: a whole address matches that address
    (any case); otherwise every word must be in the name or the address ("jo smith",
    "@school.example.org")."""
    text = text.strip()
    recipients = NoticeRecipient.objects.all()
    if _is_address(text):
        return recipients.filter(address__iexact=text)
    for word in text.split():
        recipients = recipients.filter(Q(name__icontains=word) | Q(address__icontains=word))
    return recipients


def _is_address(text: str) -> bool:
    local, at, domain = text.partition("@")
    return bool(at and local and "." in domain and not any(c.isspace() for c in text))


def attempts(notice: Notice) -> QuerySet[Log]:
    """Each try at delivering the message, oldest first, with the mail server's error."""
    return Log.objects.filter(email_id=notice.email_id).order_by("date", "pk")
