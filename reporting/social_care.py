"""The social care reports: each social care team's manager is sent their own team's
exceptions, termly and when the VSH asks (the policy: "The VSH will also report to social
care managers on non-attendance of social workers at PEPs and failure of social workers
to update their relevant section in EPEP").

One team, one term (``dispatch_team``): the team's rows and nobody else's
(``figures.social_care_team_exceptions``), as a PDF (``pdf.social_care_team_report_pdf``)
attached to an e-mail that lists the same rows, written to the outbox (notices) in the
transaction that records the ``SocialCareDispatch``; delivered after it commits. Children
by LA reference only. Social care managers are not users of the app: the address is the
team's ``manager_email``.

- **Termly** (``send_scheduled``, the beat task ``send_scheduled_social_care_reports``):
  every term open today whose send date (``send_date``: SOCIAL_CARE_REPORT_DAYS_AFTER_
  DEADLINE days after its PEP deadline, at the latest its last day) has come, each team
  not dispatched by the schedule for it yet. Once per team per term: the unique
  constraint makes a second run (or two at once) "already done".
- **On demand** (``request_send``, the VSH's "Send to social care managers"): records who
  asked (a ``SocialCareSend``; its token, from the confirmation page, makes a double click
  "already asked") and queues ``send_social_care_reports``, which runs ``run_send``: once
  per team per send. Sending again deliberately is a new send.

Both build the PDFs in a Celery task, never in a web request. A team with no manager
e-mail cannot be sent to: skipped, and nothing recorded (the schedule tries it again each
day until the term ends, so adding the address is enough). A team with nothing to report
is recorded as such and sent nothing, unless SOCIAL_CARE_REPORT_SEND_NIL_RETURNS (then it
gets a "nothing to report" e-mail and PDF).
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.text import slugify

from notices.models import NoticeKind
from notices.outbox import Recipient, queue_message
from peps.models import SocialCareTeam as SocialCareTeamModel
from peps.models import Term

from . import pdf
from .figures import SocialCareTeam, social_care_every_team, social_care_team_exceptions
from .models import (
    SEND_UNAVAILABLE,
    SocialCareDispatch,
    SocialCareOutcome,
    SocialCareSend,
    SocialCareSendStatus,
    SocialCareTrigger,
)
from .services import enqueue

logger = logging.getLogger(__name__)

PERMISSION = "hvs.send_social_care_reports"
EMAIL_TEMPLATE = "reporting/email/social_care"


def send_date(term: Term) -> date:
    """When the schedule sends ``term``'s reports."""
    due = term.pep_deadline + timedelta(days=settings.SOCIAL_CARE_REPORT_DAYS_AFTER_DEADLINE)
    return min(due, term.end_date)


def attachment_name(term: Term, team: SocialCareTeam) -> str:
    season = term.get_season_display().lower()
    year = term.academic_year_label.replace("/", "-")
    return f"social-care-{slugify(team.name) or 'team'}-{season}-{year}.pdf"


# --- what a send would send ------------------------------------------------------------


@dataclass
class TeamPlan:
    """One team on the confirmation page: its exceptions and whether it would be sent."""

    team: SocialCareTeam
    nil_returns: bool

    @property
    def has_team(self) -> bool:
        return self.team.team_id is not None

    @property
    def sendable(self) -> bool:
        return self.has_team and bool(self.team.manager_email)

    @property
    def will_send(self) -> bool:
        return self.sendable and (bool(self.team.rows) or self.nil_returns)

    @property
    def nothing_to_report(self) -> bool:
        return self.has_team and not self.team.rows and not self.nil_returns


def send_plan(term: Term) -> list[TeamPlan]:
    """Every team, with its counts and what sending now would do for it."""
    nil_returns = settings.SOCIAL_CARE_REPORT_SEND_NIL_RETURNS
    return [TeamPlan(team, nil_returns) for team in social_care_every_team(term)]


# --- one team ---------------------------------------------------------------------------


def dispatch_team(
    term: Term, team: SocialCareTeamModel, *, send: SocialCareSend | None = None, today: date | None = None
) -> SocialCareDispatch | None:
    """Send ``team``'s report of ``term`` to its manager, once: for the schedule (no
    ``send``) once per term, for a VSH's ``send`` once per send. Nothing to report is
    recorded (and sent only with nil returns). None when already done, or when the team
    has no manager e-mail (nothing recorded).

    The dispatch, the rendered PDF and the outbox's message are written in one
    transaction: a PDF that fails to render leaves nothing behind (and raises)."""
    report = social_care_team_exceptions(term, team)
    send_it = bool(report.rows) or settings.SOCIAL_CARE_REPORT_SEND_NIL_RETURNS
    if send_it and not report.manager_email:
        logger.warning("Social care report of %s, %s: no manager e-mail recorded, not sent", team, term)
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                dispatch = SocialCareDispatch.objects.create(
                    term=term,
                    team=team,
                    trigger=SocialCareTrigger.ON_DEMAND if send else SocialCareTrigger.SCHEDULED,
                    send=send,
                    outcome=SocialCareOutcome.SENT if send_it else SocialCareOutcome.NIL,
                    manager_name=report.manager,
                    manager_email=report.manager_email,
                    peps=report.peps,
                    not_attended=report.not_attended,
                    not_updated=report.not_updated,
                )
        except IntegrityError:
            return None  # already dispatched (by this send, or by the schedule this term)
        if send_it:
            filename = attachment_name(term, report)
            dispatch.notice = queue_message(
                kind=NoticeKind.SOCIAL_CARE_REPORT,
                to=[Recipient(report.manager_email, report.manager, "social care team manager")],
                template=EMAIL_TEMPLATE,
                context={"team": report, "term": term, "filename": filename},
                caused_by=send.requested_by if send else None,
                attachments={filename: pdf.social_care_team_report_pdf(term, report, today)},
            )
            dispatch.save(update_fields=["notice"])
    logger.info("Social care report of %s, %s: %s", team, term, dispatch.get_outcome_display())
    return dispatch


# --- termly -----------------------------------------------------------------------------


def terms_due(today: date) -> list[Term]:
    """The terms open on ``today`` whose send date has come."""
    terms = Term.objects.filter(end_date__gte=today, pep_deadline__lte=today).order_by("start_date")
    return [term for term in terms if send_date(term) <= today]


def send_scheduled(today: date | None = None) -> list[SocialCareDispatch]:
    """The termly send: each team of each term due (``terms_due``) not yet dispatched by
    the schedule. Safe to run every day, and twice: what was dispatched is not again. A
    team whose report fails is logged and left for the next run; a lost database
    connection is raised (for the task to retry)."""
    today = today or timezone.localdate()
    dispatched = []
    for term in terms_due(today):
        done = SocialCareDispatch.objects.filter(term=term, trigger=SocialCareTrigger.SCHEDULED).values("team")
        for team in SocialCareTeamModel.objects.exclude(pk__in=done):
            try:
                dispatch = dispatch_team(term, team, today=today)
            except OperationalError:
                raise
            except Exception:
                logger.exception("Social care report of %s, %s failed; the next run tries again", team, term)
                continue
            if dispatch is not None:
                dispatched.append(dispatch)
    return dispatched


# --- on demand --------------------------------------------------------------------------


def request_send(term: Term, user, token: UUID) -> tuple[SocialCareSend, bool]:
    """The VSH's send of ``term``'s reports, queued once the transaction commits; and
    whether it is new. The same ``token`` again (a double click, a resubmitted form) finds
    the first send: "already asked", nothing queued. With the background service down the
    send is marked failed at once (``SEND_UNAVAILABLE``)."""
    if not user.has_perm(PERMISSION):
        raise PermissionDenied
    try:
        with transaction.atomic():
            send = SocialCareSend.objects.create(term=term, requested_by=user, token=token)
            transaction.on_commit(partial(_queue_send, send))
    except IntegrityError:
        existing = SocialCareSend.objects.filter(token=token).first()
        if existing is None:
            raise
        return existing, False
    return send, True


def _queue_send(send: SocialCareSend) -> None:
    from .tasks import send_social_care_reports

    if enqueue(send_social_care_reports, send.pk):
        return
    send.status, send.error, send.finished_at = SocialCareSendStatus.FAILED, SEND_UNAVAILABLE, timezone.now()
    SocialCareSend.objects.filter(pk=send.pk, status=SocialCareSendStatus.PENDING).update(
        status=send.status, error=send.error, finished_at=send.finished_at
    )


def run_send(send_id: int) -> SocialCareSend:
    """Dispatch every team for send ``send_id`` (the task). Run again (a task delivered
    twice), it dispatches only the teams not done yet, and a finished send not at all.
    A team whose report fails is recorded in the send's error; the others still go."""
    send = SocialCareSend.objects.select_related("term", "requested_by").get(pk=send_id)
    if send.status != SocialCareSendStatus.PENDING:
        return send
    errors = []
    for team in SocialCareTeamModel.objects.all():
        try:
            dispatch_team(send.term, team, send=send)
        except OperationalError:
            raise
        except Exception as exc:
            logger.exception("Social care report of %s, %s (send %s) failed", team, send.term, send.pk)
            errors.append(f"{team.name}: {type(exc).__name__}: {exc}")
    send.status = SocialCareSendStatus.FAILED if errors else SocialCareSendStatus.DONE
    send.error = "\n".join(errors)[:2000]
    send.finished_at = timezone.now()
    SocialCareSend.objects.filter(pk=send.pk, status=SocialCareSendStatus.PENDING).update(
        status=send.status, error=send.error, finished_at=send.finished_at
    )
    return send


# --- what was sent ---------------------------------------------------------------------


def dispatches_of(term: Term):
    """What was dispatched for ``term``, newest first (the send page's history)."""
    return SocialCareDispatch.objects.filter(term=term).select_related("team", "send__requested_by", "notice__email")
