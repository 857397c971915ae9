"""Smoke test of the demo school (manage.py seed_demo)."""

from collections import Counter, defaultdict
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from core.vocabulary import Role
from demo.school import DEMO_USERNAMES
from peps.models import AspirationEntry, Child, Pep, PepStatus, Term
from practice.models import ActionStatus, GoldExemplar, GoldExemplarStatus, Supervision, TrainingOffer, TrainingStatus
from reviews import rules
from reviews.models import QaReview, ReviewKind, ReviewStatus

PASSWORD = "pw-for-tests-123"

EXPECTED_ROLES = {
    "vsh": Role.VSH,
    "admin": Role.ADMINISTRATOR,
    "manager": Role.MANAGER,
    "manager2": Role.MANAGER,
    "lead": Role.LEAD,
    **{name: Role.OFFICER for name in ["officer", "officer2", "officer3", "officer4", "officer5", "officer6"]},
}
EXPECTED_LINE_MANAGERS = {
    "manager": "vsh",
    "manager2": "vsh",
    "officer": "manager",
    "officer2": "manager",
    "officer3": "manager",
    "officer4": "manager2",
    "officer5": "manager2",
    "officer6": "manager2",
}


def seed(**options):
    out = StringIO()
    call_command("seed_demo", children=40, password=PASSWORD, stdout=out, **options)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in (User, Child, Term, Pep, AspirationEntry, QaReview)}


def snapshot():
    """What must be the same for the same seed: children, PEP outcomes, review ratings."""
    peps = sorted(
        (p.child.la_reference, str(p.term), p.status, p.judgement, p.meeting_date)
        for p in Pep.objects.select_related("child", "term")
    )
    reviews = sorted(
        (
            r.pep.child.la_reference,
            str(r.pep.term),
            r.reviewer.username,
            r.status,
            r.overall_judgement,
            tuple(a.rating for a in r.area_ratings.all()),
        )
        for r in QaReview.objects.select_related("pep__child", "pep__term", "reviewer").prefetch_related("area_ratings")
    )
    return peps, reviews


@pytest.mark.django_db
def test_seed_demo_builds_a_consistent_school():
    output = seed()

    users = {u.username: u for u in User.objects.select_related("line_manager")}
    assert sorted(users) == sorted(DEMO_USERNAMES)
    assert len(users) == 11  # vsh, admin, 2 managers, a lead and 6 officers
    assert {name: u.role for name, u in users.items()} == EXPECTED_ROLES
    assert {name: u.line_manager.username for name, u in users.items() if u.line_manager} == (
        EXPECTED_LINE_MANAGERS | {"lead": "vsh"}
    )
    # Staff with the Administrators group's model permissions, not a superuser (who would pass
    # every check of the access policy, QA included).
    assert users["admin"].is_staff and not users["admin"].is_superuser
    assert users["admin"].has_perm("peps.change_child")
    assert not users["vsh"].is_staff
    assert sorted(users["lead"].lead_areas.values_list("code", flat=True)) == ["early-years", "send"]
    assert users["officer6"].start_date == date.today() - timedelta(days=14)
    assert users["officer"].check_password(PASSWORD)
    for username in DEMO_USERNAMES:
        assert username in output

    assert Child.objects.count() == 40
    officers = Counter(Child.objects.values_list("allocated_officer__username", flat=True))
    assert sorted(officers) == sorted(n for n, r in EXPECTED_ROLES.items() if r == Role.OFFICER)
    assert max(officers.values()) - min(officers.values()) <= 1
    assert not Child.objects.filter(school=None).exists()
    assert not Child.objects.filter(designated_teacher=None).exists()

    terms = list(Term.objects.order_by("start_date"))
    assert len(terms) == 3
    assert Term.objects.current() == terms[-1]
    assert terms[-1].start_date <= date.today() <= terms[-1].end_date
    assert Pep.objects.count() == 120
    assert all(n == 3 for n in Counter(Pep.objects.values_list("child", flat=True)).values())
    assert AspirationEntry.objects.count() >= 120

    submitted = QaReview.objects.filter(status=ReviewStatus.SUBMITTED).prefetch_related("area_ratings")
    assert submitted.exists()
    assert QaReview.objects.filter(status=ReviewStatus.DRAFT, reviewer__username="manager").exists()
    latest = defaultdict(list)
    for review in submitted:
        ratings = [a.rating for a in review.area_ratings.all()]
        assert review.overall_judgement == rules.overall_judgement(ratings)
        assert review.needs_amendment == rules.needs_amendment(ratings)
        if review.kind == ReviewKind.LINE_MANAGEMENT:
            latest[review.pep_id].append(review)
    for pep_id, reviews in latest.items():
        review = max(reviews, key=lambda r: (r.submitted_at, r.pk))
        pep = Pep.objects.get(pk=pep_id)
        assert pep.judgement == review.overall_judgement
        if review.needs_amendment:
            # Returned; or amended by the DT and SW since and back awaiting QA.
            resubmitted = pep.status_changes.order_by("-pk").first().to_status == "submitted"
            assert pep.status == PepStatus.RETURNED or (pep.status == PepStatus.SUBMITTED and resubmitted)
        else:
            assert pep.status == PepStatus.FINALISED
    # A QA'd PEP has a judgement; an un-reviewed one has none.
    assert set(Pep.objects.exclude(judgement="").values_list("pk", flat=True)) == set(latest)
    # Gold practice: two reviews marked by their reviewers, one in the library, one to curate.
    marks = GoldExemplar.objects.select_related("review")
    assert sorted(mark.status for mark in marks) == [GoldExemplarStatus.IN_LIBRARY, GoldExemplarStatus.PROPOSED]
    assert all(mark.marked_by_id == mark.review.reviewer_id for mark in marks)


@pytest.mark.django_db
def test_if_empty_creates_nothing_and_a_second_run_needs_flush():
    seed()
    before = counts()

    output = seed(if_empty=True)
    assert "already exists" in output
    assert counts() == before

    with pytest.raises(CommandError, match="--flush"):
        seed()
    assert counts() == before


@pytest.mark.django_db
def test_same_seed_gives_the_same_school():
    seed(seed=11)
    first = snapshot()
    seed(seed=11, flush=True)
    second = snapshot()
    assert first == second
    assert len(first[0]) == 120


@pytest.mark.django_db
def test_another_seed_gives_another_school():
    seed(seed=11)
    first = snapshot()
    seed(seed=12, flush=True)
    assert snapshot()[0] != first[0]


@pytest.mark.django_db
def test_flush_keeps_other_superusers():
    User.objects.create_superuser("ops", "ops@example.org", "x-secret-pw")
    seed()
    seed(flush=True)
    assert User.objects.filter(username="ops", is_superuser=True).exists()
    assert User.objects.count() == len(DEMO_USERNAMES) + 1


@pytest.mark.django_db
def test_seed_demo_has_supervisions_with_actions_carried_forward_and_training():
    seed()
    today = date.today()
    officer = User.objects.get(username="officer")
    first, second = Supervision.objects.filter(officer=officer).order_by("date")
    assert first.manager.username == second.manager.username == "manager"
    assert first.reviews.exists()
    overdue = first.actions.get(status=ActionStatus.OPEN)
    assert overdue.due < today  # still open, carried into the next one
    done = first.actions.get(status=ActionStatus.DONE)
    assert done.followed_up_at == second and done.outcome
    assert set(TrainingOffer.objects.filter(officer=officer).values_list("status", flat=True)) == {
        TrainingStatus.DONE,
        TrainingStatus.PLANNED,
    }
    assert Supervision.objects.filter(officer__username="officer2").count() == 1
