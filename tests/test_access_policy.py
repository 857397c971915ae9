"""access/policy.py: who sees which children and PEPs, who may QA them, and that every
permission the code asks for is defined."""

import re
from pathlib import Path

import pytest
import rules
from django.db.models import Q

from access.policy import may_review as can_review
from access.policy import (
    officers_in_view,
    peps_to_finalise_without_qa,
    peps_with_outcome_visible,
    visible_children,
    visible_peps,
    visible_reviews,
)
from core.vocabulary import Role
from peps.models import Child, Pep, PepStatus
from reviews.models import QaReview
from reviews.services import save_review, start_review
from sampling.models import SampleEntry, SampleKind

from .factories import (
    ChildFactory,
    PepFactory,
    QaReviewFactory,
    SampleEntryFactory,
    TermFactory,
    UserFactory,
    rate_all,
)
from .plans import assert_indexed, explain, indexes_used, require_postgresql

pytestmark = pytest.mark.django_db

# (user fixture, PEP fixture, sees it, may QA it). `pep` is on `officer`'s caseload
# (team of `manager`), `other_pep` on `other_officer`'s (team of `other_manager`).
ACCESS = [
    ("officer", "pep", True, False),
    ("officer", "other_pep", False, False),
    ("other_officer", "pep", False, False),
    ("other_officer", "other_pep", True, False),
    ("manager", "pep", True, True),
    ("manager", "other_pep", False, False),
    ("other_manager", "pep", False, False),
    ("other_manager", "other_pep", True, True),
    ("lead", "pep", True, True),
    ("lead", "other_pep", True, True),
    ("vsh", "pep", True, True),
    ("vsh", "other_pep", True, True),
    ("administrator", "pep", True, False),
    ("administrator", "other_pep", True, False),
]


@pytest.mark.parametrize(
    ("user_fixture", "pep_fixture", "sees", "may_qa"), ACCESS, ids=[f"{u}-{p}" for u, p, *_ in ACCESS]
)
def test_access_matrix(request, pep, other_pep, user_fixture, pep_fixture, sees, may_qa):
    user = request.getfixturevalue(user_fixture)
    target = request.getfixturevalue(pep_fixture)

    assert visible_peps(user).filter(pk=target.pk).exists() is sees
    assert visible_children(user).filter(pk=target.child_id).exists() is sees
    assert can_review(user, target) is may_qa


@pytest.mark.parametrize("user_fixture", ["officer", "manager", "lead", "vsh"])
def test_nobody_may_qa_a_draft(request, pep, user_fixture):
    pep.status = PepStatus.DRAFT
    pep.save()
    assert can_review(request.getfixturevalue(user_fixture), pep) is False


def test_a_moved_child_keeps_the_old_pep_visible_to_both_officers(pep, officer, other_officer, other_pep):
    child = pep.child
    child.allocated_officer = other_officer
    child.save()

    # The officer who held the case that term still sees that PEP, not the child now.
    assert list(visible_peps(officer)) == [pep]
    assert not visible_children(officer).exists()
    # The new officer sees the child and their history.
    assert set(visible_peps(other_officer)) == {pep, other_pep}
    assert set(visible_children(other_officer)) == {child, other_pep.child}
    # Neither may QA it.
    assert not can_review(officer, pep)
    assert not can_review(other_officer, pep)


@pytest.mark.parametrize("user_fixture", ["officer", "manager", "lead", "vsh", "administrator"])
def test_an_inactive_user_sees_nothing(request, pep, other_pep, user_fixture):
    user = request.getfixturevalue(user_fixture)
    assert visible_peps(user).exists()  # while active

    user.is_active = False
    user.save()

    assert not visible_peps(user).exists()
    assert not visible_children(user).exists()
    assert not can_review(user, pep)
    assert not can_review(user, other_pep)


def test_whole_school_roles_see_everything(pep, other_pep, lead, vsh, administrator):
    for user in (lead, vsh, administrator):
        assert visible_peps(user).count() == Pep.objects.count() == 2
        assert visible_children(user).count() == Child.objects.count() == 2


def test_every_permission_asked_in_the_code_is_in_the_policy():
    """Every ``hvs.*`` permission a view, form, service, template or the navigation asks
    for is one the access policy defines: a typo would silently answer "no"."""
    root = Path(__file__).resolve().parent.parent
    asked = set()
    for pattern in ("*/**/*.py", "templates/**/*.html"):
        for path in root.glob(pattern):
            if ".venv" in path.parts or "tests" in path.parts or "node_modules" in path.parts:
                continue
            asked |= set(re.findall(r"[\"'](hvs\.[a-z_]+(?::[a-z_]+)?)[\"']", path.read_text()))
    asked.discard("hvs.review_pep:")  # built with the review kind, f"hvs.review_pep:{kind}"
    assert asked, "no permission found: the pattern is wrong"
    assert {name for name in asked if not rules.perm_exists(name)} == set()


# Who records a PEP meeting and submits the PEP: the child's officer (or the PEP's), their
# line manager, the VSH. Not another team, a lead practitioner or an administrator.
RECORD = [
    ("officer", True),
    ("other_officer", False),
    ("manager", True),
    ("other_manager", False),
    ("lead", False),
    ("vsh", True),
    ("administrator", False),
]


@pytest.mark.parametrize(("user_fixture", "may"), RECORD, ids=[u for u, _ in RECORD])
def test_who_records_and_submits_a_pep(request, pep, other_pep, user_fixture, may):
    user = request.getfixturevalue(user_fixture)
    for permission in ("hvs.record_pep", "hvs.submit_pep"):
        assert user.has_perm(permission, pep) is may
        assert user.has_perm(permission, pep.child) is may  # a PEP not opened yet


def test_the_officer_who_held_the_pep_still_records_it_after_the_child_moved(
    pep, officer, other_officer, manager, other_manager
):
    child = pep.child
    child.allocated_officer = other_officer
    child.save()
    pep.refresh_from_db()

    for user in (officer, manager, other_officer, other_manager):
        assert user.has_perm("hvs.record_pep", pep)
    # The child, from now on, is the new officer's.
    assert not officer.has_perm("hvs.record_pep", child)
    assert other_officer.has_perm("hvs.record_pep", child)


def test_an_inactive_officer_records_nothing(pep, officer):
    officer.is_active = False
    officer.save()
    assert not officer.has_perm("hvs.record_pep", pep)
    assert not officer.has_perm("hvs.record_pep", pep.child)


# Who corrects a submitted review: its reviewer, the reviewer's line manager, the VSH, on a
# PEP they may see. Not an officer or an administrator (who QA nothing), another team's
# manager, or a lead practitioner who did not make it. ``pep`` is reviewed by ``manager``,
# whose own line manager is ``head_of_team`` (who does not see the officers' caseloads).
CORRECT = [
    ("manager", True),
    ("head_of_team", False),
    ("vsh", True),
    ("officer", False),
    ("other_officer", False),
    ("other_manager", False),
    ("lead", False),
    ("administrator", False),
]


@pytest.fixture
def head_of_team(manager):
    head = UserFactory(role=Role.MANAGER, username="head_of_team")
    manager.line_manager = head
    manager.save()
    return head


@pytest.fixture
def reviewed(pep, manager, head_of_team, other_pep):
    review = start_review(pep, manager)
    return save_review(review, rate_all(review, ["red"] * 8), strengths="", development_points="", submit=True)


@pytest.mark.parametrize(("user_fixture", "may"), CORRECT, ids=[u for u, _ in CORRECT])
def test_who_corrects_a_submitted_review(request, reviewed, user_fixture, may):
    user = request.getfixturevalue(user_fixture)
    assert user.has_perm("hvs.correct_review", reviewed) is may


def test_the_reviewers_line_manager_corrects_only_what_they_may_see(reviewed, head_of_team, pep):
    # The head of team sees the PEPs of their line reports (the manager), not the
    # manager's officers' caseloads: a review of a PEP they cannot see is not theirs to correct.
    assert visible_peps(head_of_team).filter(pk=pep.pk).exists() is False
    assert head_of_team.has_perm("hvs.correct_review", reviewed) is False


def test_a_manager_corrects_the_review_of_a_lead_they_line_manage_on_their_teams_pep(pep, manager, other_manager):
    lead = UserFactory(role=Role.LEAD, line_manager=manager)
    review = start_review(pep, lead)
    save_review(review, rate_all(review, ["red"] * review.area_ratings.count()), **NO_FEEDBACK, submit=True)

    assert manager.has_perm("hvs.correct_review", review)
    assert not other_manager.has_perm("hvs.correct_review", review)


def test_a_lead_corrects_their_own_review_and_nobody_corrects_a_draft(pep, lead, manager):
    review = start_review(pep, lead)
    assert not lead.has_perm("hvs.correct_review", review)  # a draft is edited, not corrected
    save_review(review, rate_all(review, ["red"] * review.area_ratings.count()), **NO_FEEDBACK, submit=True)
    assert lead.has_perm("hvs.correct_review", review)
    assert not manager.has_perm("hvs.correct_review", review)


def test_an_inactive_reviewer_corrects_nothing(reviewed, manager):
    manager.is_active = False
    manager.save()
    assert not manager.has_perm("hvs.correct_review", reviewed)


NO_FEEDBACK = {"strengths": "", "development_points": ""}


# --- the cost of visibility follows the caseload and the term, not the archive ----------


@pytest.fixture
def history(officer, other_officer, manager):
    """Three terms of PEPs for both teams; a child moved from ``other_officer`` to
    ``officer`` (visible through its current officer); a PEP of the other team assigned
    to ``manager`` by a sample (visible through the sample)."""
    terms = [TermFactory() for _ in range(3)]
    for term in terms:
        for holder in (officer, other_officer):
            for _ in range(2):
                PepFactory(term=term, officer=holder, child=ChildFactory(allocated_officer=holder))
    moved = ChildFactory(allocated_officer=officer)
    PepFactory(term=terms[0], officer=other_officer, child=moved)
    assigned = Pep.objects.filter(officer=other_officer, term=terms[1]).first()
    SampleEntryFactory(pep=assigned, sample__term=terms[1], assigned_to=manager)
    return terms


def test_visible_peps_keeps_every_arm_with_its_own_index(officer, manager, history):
    # The same PEPs as the rule says: the officer's own, the current officer's history,
    # the sample's; whatever way the query is written.
    mine = set(visible_peps(officer))
    assert mine == set(Pep.objects.filter(Q(officer=officer) | Q(child__allocated_officer=officer)))
    assert len(mine) == 3 * 2 + 1
    team = set(visible_peps(manager))
    assert team == mine | set(Pep.objects.filter(sample_entries__assigned_to=manager))
    assert len(team) == len(mine) + 1


@pytest.mark.parametrize("who", ["officer", "manager"])
def test_visible_peps_is_an_indexed_lookup(request, history, who):
    require_postgresql()
    user = request.getfixturevalue(who)
    # Every term: each arm of the OR an index scan (officer, (child, term), pk), no scan
    # of every PEP in history.
    # Unordered: the page's order is another index's matter, and with a test's few rows the
    # planner may read the term index whole to sort rather than look the arms up.
    plan = explain(visible_peps(user).order_by())
    assert_indexed(plan)
    assert {"one_pep_per_child_per_term", "peps_pep_pkey"} <= indexes_used(plan)
    # One term: the term's index serves it (and the rest of the archive is not read).
    assert_indexed(explain(visible_peps(user).filter(term=history[0]).order_by()))
    assert_indexed(explain(peps_with_outcome_visible(user).filter(term=history[0]).order_by()))


@pytest.mark.parametrize("who", ["lead", "vsh"])
def test_the_whole_school_reads_one_term_by_its_index(request, history, who):
    require_postgresql()
    assert_indexed(explain(visible_peps(request.getfixturevalue(who)).filter(term=history[0])))


def test_visible_reviews_read_through_the_visible_peps(manager, history):
    require_postgresql()
    assert_indexed(explain(visible_reviews(manager).filter(pep__term=history[0])))


@pytest.mark.django_db
def test_the_finalise_scope_allows_exactly_the_peps_the_finalise_permission_does():
    # peps_to_finalise_without_qa is may_finalise_without_qa as a query (the bulk finalise):
    # the two must never differ, for anyone, on any PEP they may see.
    manager = UserFactory(role=Role.MANAGER)
    officer = UserFactory(role=Role.OFFICER, line_manager=manager)
    other_manager = UserFactory(role=Role.MANAGER)
    other_officer = UserFactory(role=Role.OFFICER, line_manager=other_manager)
    managed_manager = UserFactory(role=Role.MANAGER, line_manager=other_manager)
    people = [
        manager,
        officer,
        other_manager,
        other_officer,
        managed_manager,
        UserFactory(role=Role.VSH),
        UserFactory(role=Role.LEAD),
        UserFactory(role=Role.ADMINISTRATOR),
        UserFactory(role=Role.VSH, is_active=False),
        UserFactory(role=Role.OFFICER, is_superuser=True),
    ]
    term = TermFactory()
    peps = [
        PepFactory(child=ChildFactory(allocated_officer=officer), term=term, status=PepStatus.SUBMITTED),
        # Held by one officer, the child since moved to another team's.
        PepFactory(child=ChildFactory(allocated_officer=other_officer), officer=officer, term=term),
        PepFactory(child=ChildFactory(allocated_officer=managed_manager), term=term),
        PepFactory(child=ChildFactory(allocated_officer=None), officer=None, term=term),
    ]
    # Re-rated blind for moderation: the first PEP by other_manager, the third by the VSH.
    for pep, moderator in ((peps[0], other_manager), (peps[2], people[5])):
        SampleEntryFactory(pep=pep, sample__term=term, sample__kind=SampleKind.CROSS_MODERATION, assigned_to=moderator)
    for user in people:
        scope = set(peps_to_finalise_without_qa(user).values_list("pk", flat=True))
        for pep in visible_peps(user):
            assert (pep.pk in scope) is user.has_perm("hvs.finalise_pep", pep), (user, pep)
        assert scope <= set(visible_peps(user).values_list("pk", flat=True)), user


@pytest.mark.django_db
def test_whether_an_officer_may_finalise_is_answered_without_a_query(officer, django_assert_num_queries):
    # An officer's PEP page asks of every submitted PEP: the answer is no, from the role.
    pep = PepFactory(officer=officer, child=ChildFactory(allocated_officer=officer), status=PepStatus.SUBMITTED)
    pep = Pep.objects.select_related("officer", "child__allocated_officer").get(pk=pep.pk)

    with django_assert_num_queries(0):
        assert not officer.has_perm("hvs.finalise_pep", pep)


@pytest.mark.django_db
def test_visible_peps_is_the_plain_rule_however_it_is_nested():
    # The rule before the indexed rewrite, as the ORM writes it, against the rewrite: the
    # same PEPs for every kind of user, alone, negated, and as a subquery of another query.
    manager = UserFactory(role=Role.MANAGER)
    officer = UserFactory(role=Role.OFFICER, line_manager=manager)
    idle = UserFactory(role=Role.OFFICER, line_manager=manager)  # no caseload
    other = UserFactory(role=Role.OFFICER)
    moderator = UserFactory(role=Role.MANAGER)  # no team; one PEP assigned
    people = [manager, officer, idle, other, moderator, UserFactory(role=Role.OFFICER, is_active=False)]
    people.append(UserFactory(role=Role.MANAGER, is_active=False))
    term = TermFactory()
    peps = [
        PepFactory(child=ChildFactory(allocated_officer=officer), term=term),
        PepFactory(child=ChildFactory(allocated_officer=other), officer=officer, term=term),
        PepFactory(child=ChildFactory(allocated_officer=None), officer=None, term=term),
        PepFactory(child=ChildFactory(allocated_officer=other), term=term),
    ]
    SampleEntryFactory(pep=peps[3], sample__term=term, sample__kind=SampleKind.CROSS_MODERATION, assigned_to=moderator)
    for pep in peps:
        QaReviewFactory(pep=pep, submitted=True)
    for user in people:
        officers = officers_in_view(user)
        assert officers is not None
        plain = Pep.objects.filter(
            Q(officer__in=officers)
            | Q(child__allocated_officer__in=officers)
            | Q(pk__in=SampleEntry.objects.filter(assigned_to=user).values("pep"))
        )
        if not user.is_active:
            plain = plain.none()
        expected = set(plain.values_list("pk", flat=True))
        assert set(visible_peps(user).values_list("pk", flat=True)) == expected, user
        everyone = set(Pep.objects.values_list("pk", flat=True))
        assert set(Pep.objects.exclude(pk__in=visible_peps(user)).values_list("pk", flat=True)) == everyone - expected
        negated = Pep.objects.filter(~Q(pk__in=visible_peps(user).values("pk")))
        assert set(negated.values_list("pk", flat=True)) == everyone - expected
        reviews = QaReview.objects.filter(pep__in=visible_peps(user)).values_list("pep_id", flat=True)
        assert set(reviews) == expected, user
