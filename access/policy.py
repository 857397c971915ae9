"""The one access policy: who may see which rows, and who may do what.

Every "may this user see or do this?" in the project is answered here, and only here:

- **Scopes** (querysets): the children, PEPs, reviews, peer-review meetings a user may see.
  A lookup by anything a user typed (an id in a URL, a reference in a form) goes through
  one of them, so "not yours" reads exactly like "not found".
- **Permissions** (django-rules predicates, registered below as ``hvs.<action>``): asked
  with ``user.has_perm("hvs.<action>", obj)`` from views, forms, services and templates
  (``{% load rules %}{% has_perm "hvs.<action>" user obj as may %}``), and by the
  navigation (web/navigation.py). The apps below this one (reviews, sampling, practice)
  ask through ``has_perm`` too, which needs no import of this module.

A Django superuser passes every permission (Django's own rule; a break-glass account).
The Administrator role is not a superuser: it sees the whole school and the admin, and
does not QA.
"""

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from accounts.models import User
from core.queries import InSubquery
from core.vocabulary import Rating, Role
from notices.models import Notice
from peps.models import Child, Pep, PepStatus
from practice.models import (
    CapabilityConcern,
    GoldExemplar,
    GoldExemplarStatus,
    PeerReviewMeeting,
    PracticeAction,
    Supervision,
)
from reviews.models import QaReview, ReviewKind, ReviewStatus
from reviews.services import default_kind_for
from sampling.models import SampleEntry, SampleKind
from sampling.selectors import MODERATION_KINDS, blind_peps

# --- roles -----------------------------------------------------------------------------

WHOLE_SCHOOL_ROLES = (Role.LEAD, Role.VSH, Role.ADMINISTRATOR)
QA_ROLES = (Role.MANAGER, Role.LEAD, Role.VSH)
REPORT_ROLES = (Role.MANAGER, Role.LEAD, Role.VSH, Role.ADMINISTRATOR)
SOCIAL_CARE_REPORT_ROLES = (Role.MANAGER, Role.VSH)


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def sees_whole_school(user) -> bool:
    return _active(user) and (user.role in WHOLE_SCHOOL_ROLES or user.is_superuser)


def _role_in(*roles):
    @rules.predicate
    def has_role(user) -> bool:
        return _active(user) and user.role in roles

    return has_role


is_officer = _role_in(Role.OFFICER)
is_manager = _role_in(Role.MANAGER)
is_vsh = _role_in(Role.VSH)
is_qa_role = _role_in(*QA_ROLES)
is_report_role = _role_in(*REPORT_ROLES)
is_social_care_report_role = _role_in(*SOCIAL_CARE_REPORT_ROLES)
# Importing staff, children and PEPs from other systems (imports.services).
is_import_role = _role_in(Role.VSH, Role.ADMINISTRATOR)
# The messages the outbox wrote (notices): read, and a failed one resent, by the VSH and
# administrators (and a superuser, who passes every permission).
MESSAGE_ROLES = (Role.VSH, Role.ADMINISTRATOR)
is_message_role = _role_in(*MESSAGE_ROLES)
# Who has seen or changed a child's record (the audit trail): the VSH and administrators.
is_audit_role = _role_in(Role.VSH, Role.ADMINISTRATOR)


def require(user, permission: str, obj=None) -> None:
    """A view's gate: PermissionDenied unless ``user`` has ``permission`` (on ``obj``)."""
    if not user.has_perm(permission, obj):
        raise PermissionDenied


# --- scopes ----------------------------------------------------------------------------


def officers_in_view(user: User) -> list[int] | None:
    """The officers whose caseloads the user may see; None means the whole school."""
    if not _active(user):
        return []
    if sees_whole_school(user):
        return None
    if user.role == Role.MANAGER:
        return [user.pk, *user.line_reports.values_list("pk", flat=True)]
    if user.role == Role.OFFICER:
        return [user.pk]
    return []


def visible_officers(user: User) -> QuerySet[User]:
    """The officers a user may pick in a filter: their own team, or the whole school."""
    officers = User.objects.filter(role=Role.OFFICER)
    in_view = officers_in_view(user)
    return officers if in_view is None else officers.filter(pk__in=in_view)


def visible_children(user: User) -> QuerySet[Child]:
    officers = officers_in_view(user)
    children = Child.objects.all()
    if officers is None:
        return children
    return children.filter(allocated_officer__in=officers)


def visible_peps(user: User) -> QuerySet[Pep]:
    officers = officers_in_view(user)
    peps = Pep.objects.all()
    if officers is None:
        return peps
    if not _active(user):
        return peps.none()
    # A PEP stays visible to the officer who held it that term, and to the child's
    # current officer, who needs the history; and to whoever a QA sample assigns it to
    # (a manager moderating another team's PEP). Each arm is a column of peps_pep that
    # an index serves (officer, (child, term), pk), the small sets computed first, so
    # the cost follows the user's caseload and the term asked for, not the archive
    # (core.queries.InSubquery; the plans in tests/test_access_policy.py, tests/test_queries.py).
    children = Child.objects.filter(allocated_officer__in=officers).values("pk")
    assigned = SampleEntry.objects.filter(assigned_to=user).values("pep")
    return peps.filter(Q(officer__in=officers) | Q(InSubquery("child", children)) | Q(InSubquery("pk", assigned)))


def peps_with_outcome_visible(user: User) -> QuerySet[Pep]:
    """Visible PEPs whose status and judgement the user may see: not those the user is
    still re-rating blind for moderation."""
    return visible_peps(user).exclude(pk__in=blind_peps(user))


def visible_reviews(user: User) -> QuerySet[QaReview]:
    """Submitted reviews of visible PEPs, and the user's own drafts. While the user
    re-rates a PEP blind, the other reviews of it stay hidden."""
    return QaReview.objects.filter(pep__in=visible_peps(user)).filter(
        Q(reviewer=user) | (Q(status=ReviewStatus.SUBMITTED) & ~Q(pep__in=blind_peps(user)))
    )


def editable_reviews(user: User) -> QuerySet[QaReview]:
    """The user's own reviews of PEPs they may see: the rating page's lookups."""
    if not _active(user):
        return QaReview.objects.none()
    return QaReview.objects.filter(reviewer=user, pep__in=visible_peps(user))


def assigned_entries(user: User) -> QuerySet[SampleEntry]:
    if not _active(user):
        return SampleEntry.objects.none()
    return SampleEntry.objects.filter(assigned_to=user)


def visible_meetings(user: User) -> QuerySet[PeerReviewMeeting]:
    """Peer-review meetings: the whole school sees all; a manager the meetings they
    recorded or attended, not another team's."""
    meetings = PeerReviewMeeting.objects.all()
    if sees_whole_school(user):
        return meetings
    if not _active(user):
        return meetings.none()
    return meetings.filter(
        pk__in=PeerReviewMeeting.objects.filter(Q(recorded_by=user) | Q(attendees=user)).values("pk")
    )


def peer_review_colleagues(user: User) -> QuerySet[User]:
    """The people a user may record a peer-review meeting with: the whole school for a
    whole-school role; a manager their own team (themselves, their line reports, and
    their own line manager)."""
    people = User.objects.filter(is_active=True).exclude(role=Role.ADMINISTRATOR)
    if sees_whole_school(user):
        return people
    if user.role == Role.MANAGER:
        return people.filter(Q(pk=user.pk) | Q(line_manager=user) | Q(pk=user.line_manager_id))
    return people.none()


def meeting_peps(member: User) -> QuerySet[Pep]:
    """The PEPs a member may bring to a peer-review meeting: those of their own caseload
    (an officer), or of their team (a manager), past draft."""
    return visible_peps(member).exclude(status=PepStatus.DRAFT)


# --- supervision and the improvement of practice (practice) ---------------------------
# Supervision is line management: the officer, their line manager (and whoever held the
# meeting) and the VSH. Not a lead practitioner, not an administrator, not another team.


def supervisees(user: User) -> QuerySet[User]:
    """The people a user may supervise (record a one-to-one with): a manager their line
    reports; the VSH every member of staff but administrators; nobody else."""
    people = User.objects.filter(is_active=True).exclude(role=Role.ADMINISTRATOR)
    if not _active(user):
        return people.none()
    if user.role == Role.VSH:
        return people.exclude(pk=user.pk)
    if user.role == Role.MANAGER:
        return people.filter(line_manager=user)
    return people.none()


def visible_supervisions(user: User) -> QuerySet[Supervision]:
    supervisions = Supervision.objects.all()
    if not _active(user):
        return supervisions.none()
    if user.role == Role.VSH:
        return supervisions
    if user.role == Role.ADMINISTRATOR:
        return supervisions.none()
    return supervisions.filter(Q(officer=user) | Q(manager=user) | Q(officer__line_manager=user))


def visible_actions(user: User) -> QuerySet[PracticeAction]:
    """Actions agreed at a supervision the user may see, at a peer-review meeting they may
    see, or owned by the user."""
    if not _active(user):
        return PracticeAction.objects.none()
    return PracticeAction.objects.filter(
        Q(supervision__in=visible_supervisions(user)) | Q(peer_review__in=visible_meetings(user)) | Q(owner=user)
    )


def may_see_capability_of(user, officer: User | None) -> bool:
    """The capability process is confidential: the officer's line manager and the VSH,
    and nobody else (not the superuser's break-glass, not an administrator, not a lead)."""
    return (
        _active(user)
        and officer is not None
        and (user.role == Role.VSH or (user.role == Role.MANAGER and officer.line_manager_id == user.pk))
    )


def visible_capability(user: User) -> QuerySet[CapabilityConcern]:
    concerns = CapabilityConcern.objects.all()
    if not _active(user):
        return concerns.none()
    if user.role == Role.VSH:
        return concerns
    if user.role == Role.MANAGER:
        return concerns.filter(officer__line_manager=user)
    return concerns.none()


def visible_exemplars(user: User) -> QuerySet[GoldExemplar]:
    """The library (anonymised exemplars) for every member of staff; proposals too for
    the VSH, who curates them, and a reviewer's own marks."""
    exemplars = GoldExemplar.objects.all()
    if not _active(user):
        return exemplars.none()
    if user.role == Role.VSH:
        return exemplars
    return exemplars.filter(Q(status=GoldExemplarStatus.IN_LIBRARY) | Q(marked_by=user))


def visible_notices(user: User) -> QuerySet[Notice]:
    """The messages a user may read on the messages page: every one for the VSH and
    administrators (they are school-wide, as the imports are), none for anyone else."""
    if _active(user) and (user.role in MESSAGE_ROLES or user.is_superuser):
        return Notice.objects.all()
    return Notice.objects.none()


def report_requests_scope(user: User) -> Q:
    """Which report requests' status and file a user may see: their own; the VSH all."""
    if _active(user) and (user.role == Role.VSH or user.is_superuser):
        return Q()
    return Q(requested_by=user.pk if _active(user) else None)


# --- predicates ------------------------------------------------------------------------


@rules.predicate
def may_see_pep(user, pep: Pep) -> bool:
    return _active(user) and visible_peps(user).filter(pk=pep.pk).exists()


def _sample_kinds_for(review_kind: str) -> list[str]:
    return [kind for kind in SampleKind if kind.review_kind == review_kind]


def may_review(user, pep: Pep, kind: str | None = None) -> bool:
    """A QA role (or a sample that assigns the PEP to the user), a PEP the user may see,
    not one of their own, and not still a draft.

    A line-management review (the one that finalises or returns the PEP) needs a PEP
    submitted for QA; samples and moderation may look at any PEP past draft.
    """
    if not _active(user):
        return False
    kind = kind or default_kind_for(user)
    if pep.status == PepStatus.DRAFT:
        return False
    if kind == ReviewKind.LINE_MANAGEMENT and pep.status != PepStatus.SUBMITTED:
        return False
    if user.pk in (pep.officer_id, pep.child.allocated_officer_id):
        return False
    if not user.is_superuser and user.role not in QA_ROLES:
        assigned = SampleEntry.objects.filter(
            pep=pep, assigned_to=user, sample__kind__in=_sample_kinds_for(kind)
        ).exists()
        if not assigned:
            return False
    return visible_peps(user).filter(pk=pep.pk).exists()


def _may_review_as(kind: str):
    @rules.predicate
    def predicate(user, pep: Pep) -> bool:
        return may_review(user, pep, kind)

    return predicate


@rules.predicate
def may_review_by_default(user, pep: Pep) -> bool:
    return may_review(user, pep)


@rules.predicate
def may_edit_review(user, review: QaReview) -> bool:
    """The reviewer's own draft, on a PEP they may still review that way."""
    return (
        _active(user)
        and review.reviewer_id == user.pk
        and review.status == ReviewStatus.DRAFT
        and may_review(user, review.pep, review.kind)
    )


@rules.predicate
def may_correct_review(user, review: QaReview) -> bool:
    """A submitted review may be corrected by its reviewer, the reviewer's line manager or
    the VSH, on a PEP they may see (and are not re-rating blind). Not by an officer or an
    administrator, who QA nothing, and not by a manager of another team."""
    if not _active(user) or review.status != ReviewStatus.SUBMITTED or user.role not in QA_ROLES:
        return False
    if user.role != Role.VSH and user.pk not in (review.reviewer_id, review.reviewer.line_manager_id):
        return False
    return peps_with_outcome_visible(user).filter(pk=review.pep_id).exists()


@rules.predicate
def may_finalise_without_qa(user, pep: Pep) -> bool:
    """The officer's line manager and the VSH may finalise a submitted PEP that the QA
    sample did not pick (whether it did is for sampling's finalise service). Not the
    officer: finalising says the plan is good enough without QA, which is for whoever
    assures its quality (the policy's managers), not for its author."""
    if not _active(user):
        return False
    if user.role != Role.VSH:
        officers = [o for o in (pep.officer, pep.child.allocated_officer) if o is not None]
        if not any(officer.pk != user.pk and officer.line_manager_id == user.pk for officer in officers):
            return False
    # Last, as it is the one query: an officer's PEP page asked it only to be told no.
    return not blind_peps(user).filter(pep_id=pep.pk).exists()


def peps_to_finalise_without_qa(user: User) -> QuerySet[Pep]:
    """The visible PEPs ``may_finalise_without_qa`` lets the user finalise, as one query for
    a list of them (the worklist's bulk finalise), not a query per PEP. A superuser passes
    every permission (Django's rule), so every PEP they see."""
    peps = visible_peps(user)
    if not _active(user) or user.is_superuser:
        return peps
    peps = peps.exclude(pk__in=blind_peps(user))
    if user.role == Role.VSH:
        return peps
    return peps.filter(
        (Q(officer__line_manager=user) & ~Q(officer=user))
        | (Q(child__allocated_officer__line_manager=user) & ~Q(child__allocated_officer=user))
    )


@rules.predicate
def may_record_pep(user, pep_or_child: Pep | Child) -> bool:
    """The child's officer (and, for a PEP, the officer who held it that term), their line
    manager and the VSH record a PEP meeting and submit the PEP for QA; for a child, the
    PEP of a term that has none yet. Whether the PEP is still a draft is for the service
    (peps.services) to say, so a second click reads "already submitted", not "forbidden"."""
    if not _active(user) or pep_or_child is None:
        return False
    if user.role == Role.VSH:
        return True
    if isinstance(pep_or_child, Pep):
        officers = [pep_or_child.officer, pep_or_child.child.allocated_officer]
    else:
        officers = [pep_or_child.allocated_officer]
    return any(user.pk in (officer.pk, officer.line_manager_id) for officer in officers if officer is not None)


@rules.predicate
def may_mark_amended(user, pep: Pep) -> bool:
    """Anyone who may see the PEP and works with it (not an administrator), unless its
    outcome is hidden from them while they moderate it."""
    return (
        _active(user)
        and user.role != Role.ADMINISTRATOR
        and may_see_pep(user, pep)
        and not blind_peps(user).filter(pep_id=pep.pk).exists()
    )


@rules.predicate
def has_assigned_entries(user) -> bool:
    return assigned_entries(user).exists()


@rules.predicate
def has_moderation_entries(user) -> bool:
    return assigned_entries(user).filter(sample__kind__in=MODERATION_KINDS).exists()


@rules.predicate
def may_rate_entry(user, entry: SampleEntry) -> bool:
    return _active(user) and entry.assigned_to_id == user.pk


@rules.predicate
def may_settle(user, entry: SampleEntry) -> bool:
    """The VSH, or a manager involved: the first reviewer or the moderator."""
    if not _active(user) or entry.sample.kind not in MODERATION_KINDS:
        return False
    if user.role == Role.VSH:
        return True
    involved = {
        entry.assigned_to_id,
        entry.review.reviewer_id if entry.review else None,
        entry.original_review.reviewer_id if entry.original_review else None,
    }
    return user.role == Role.MANAGER and user.pk in involved


@rules.predicate
def is_staff(user) -> bool:
    return _active(user) and user.is_staff


@rules.predicate
def may_supervise(user, officer: User) -> bool:
    return _active(user) and officer is not None and supervisees(user).filter(pk=officer.pk).exists()


@rules.predicate
def may_see_supervision(user, supervision: Supervision) -> bool:
    return _active(user) and visible_supervisions(user).filter(pk=supervision.pk).exists()


@rules.predicate
def may_edit_supervision(user, supervision: Supervision) -> bool:
    """The manager who held it, the officer's line manager now, or the VSH."""
    if not _active(user):
        return False
    return user.role == Role.VSH or (
        user.role == Role.MANAGER and user.pk in (supervision.manager_id, supervision.officer.line_manager_id)
    )


@rules.predicate
def may_follow_up_action(user, action: PracticeAction) -> bool:
    """Recording an action's outcome: for a supervision's action, whoever may edit that
    supervision; for a peer-review meeting's, its recorder or the VSH."""
    if not _active(user):
        return False
    if action.supervision_id:
        return may_edit_supervision(user, action.supervision)
    return user.role == Role.VSH or (
        user.role in QA_ROLES and action.peer_review is not None and action.peer_review.recorded_by_id == user.pk
    )


@rules.predicate
def may_see_capability(user, officer: User) -> bool:
    return may_see_capability_of(user, officer)


@rules.predicate
def may_mark_gold(user, review: QaReview) -> bool:
    """The reviewer of a submitted review that rated the PEP, or an area, Gold."""
    return (
        _active(user)
        and review.reviewer_id == user.pk
        and review.status == ReviewStatus.SUBMITTED
        and (review.overall_judgement == Rating.GOLD or review.area_ratings.filter(rating=Rating.GOLD).exists())
    )


@rules.predicate
def is_staff_member(user) -> bool:
    return _active(user) and user.role != Role.ADMINISTRATOR


PERMISSIONS = {
    # PEPs
    "hvs.view_peps": rules.is_active,
    # This PEP (asked with it): e.g. whether a reminder may cite its child's LA reference.
    "hvs.view_pep": may_see_pep,
    "hvs.review_pep": may_review_by_default,
    "hvs.finalise_pep": may_finalise_without_qa,
    "hvs.mark_amended": may_mark_amended,
    "hvs.record_pep": may_record_pep,
    "hvs.submit_pep": may_record_pep,
    # Reviews
    "hvs.edit_review": may_edit_review,
    "hvs.correct_review": may_correct_review,
    # Sampling
    "hvs.view_worklist": is_qa_role | has_assigned_entries,
    "hvs.rate_entry": may_rate_entry,
    "hvs.view_coverage": is_report_role,
    "hvs.view_moderation": is_qa_role | has_moderation_entries,
    "hvs.see_moderation_figures": is_qa_role,
    "hvs.settle_moderation": may_settle,
    # Practice
    "hvs.view_peer_reviews": is_qa_role,
    "hvs.record_peer_review": is_qa_role,
    # Supervision (practice): who records and reads one-to-ones, their actions and training
    "hvs.view_supervisions": is_officer | is_manager | is_vsh,
    "hvs.supervise": may_supervise,
    "hvs.view_supervision": may_see_supervision,
    "hvs.edit_supervision": may_edit_supervision,
    "hvs.follow_up_action": may_follow_up_action,
    # The supervision list for those who hold one-to-ones (and the navigation's entry); an
    # officer's own page of their supervisions, actions and training.
    "hvs.hold_supervisions": is_manager | is_vsh,
    "hvs.view_my_development": is_officer,
    # The confidential capability process, asked with the officer as the object
    "hvs.view_capability": may_see_capability,
    "hvs.record_capability": may_see_capability,
    # Learning from the ratings, and the Gold exemplar library
    "hvs.view_learning": is_qa_role,
    "hvs.mark_gold": may_mark_gold,
    "hvs.view_exemplars": is_staff_member,
    "hvs.curate_exemplars": is_vsh,
    # Reports
    "hvs.view_reports": is_report_role,
    "hvs.request_board_report": is_report_role,
    "hvs.request_social_care_report": is_social_care_report_role,
    # The policy: "The VSH will also report to social care managers..." (reporting.social_care).
    "hvs.send_social_care_reports": is_vsh,
    # The board report's commentary and actions arising: the VSH's own words (reporting.commentary).
    "hvs.edit_board_commentary": is_vsh,
    # Imports
    "hvs.import_data": is_import_role,
    # Messages (the outbox)
    "hvs.view_messages": is_message_role,
    "hvs.resend_message": is_message_role,
    # The Django admin
    "hvs.use_admin": is_staff,
    # The audit trail: a child's page of who has seen or changed their record
    "hvs.view_audit": is_audit_role,
}
# One permission per kind of review, asked by reviews.services when a review starts or
# is saved ("hvs.review_pep:<kind>").
PERMISSIONS.update({f"hvs.review_pep:{kind}": _may_review_as(kind) for kind in ReviewKind.values})

for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)
