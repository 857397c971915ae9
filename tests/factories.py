"""factory-boy factories for the hvs-qa models.

Pro-forma version 1 of each phase is seeded by a data migration
(reviews/migrations/0002_default_pro_formas.py): tests read it with
``ProForma.objects.current_for(phase)``. ``ProFormaFactory`` only makes *further* versions.
"""

from datetime import date, timedelta
from unittest import mock

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory
from post_office.models import STATUS, Email, Log

from accounts.models import User
from core.vocabulary import Phase, Role, Season
from notices import outbox
from notices.models import DeliveryState, Notice, NoticeKind
from notices.outbox import Recipient
from peps.models import Child, DesignatedTeacher, Pep, PepStatus, School, SocialCareTeam, SocialWorker, Term
from practice.models import (
    CapabilityConcern,
    GoldExemplar,
    PracticeAction,
    Supervision,
    TrainingKind,
    TrainingOffer,
)
from reviews.models import ProForma, ProFormaArea, QaReview, ReviewKind, ReviewStatus
from reviews.services import AreaInput
from sampling.models import ModerationGroup, Sample, SampleEntry, SampleKind
from sampling.rules import Reason

SEASONS = [Season.AUTUMN, Season.SPRING, Season.SUMMER]
PASSWORD = "pw"


class UserFactory(DjangoModelFactory):
    """An officer by default; ``UserFactory(role=Role.MANAGER)`` or a trait for other roles."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password(PASSWORD)
    role = Role.OFFICER
    is_active = True

    class Params:
        manager = factory.Trait(role=Role.MANAGER)
        lead = factory.Trait(role=Role.LEAD)
        vsh = factory.Trait(role=Role.VSH)
        administrator = factory.Trait(role=Role.ADMINISTRATOR)


class SchoolFactory(DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"School {n}")
    urn = factory.Sequence(lambda n: f"{100000 + n}")
    local_authority = "Testshire"


class SocialCareTeamFactory(DjangoModelFactory):
    class Meta:
        model = SocialCareTeam

    name = factory.Sequence(lambda n: f"Social care team {n}")
    manager_name = factory.Sequence(lambda n: f"Team manager {n}")
    manager_email = factory.Sequence(lambda n: f"team{n}@example.org")


class SocialWorkerFactory(DjangoModelFactory):
    class Meta:
        model = SocialWorker

    name = factory.Sequence(lambda n: f"Social worker {n}")
    email = factory.Sequence(lambda n: f"sw{n}@example.org")
    team = factory.SubFactory(SocialCareTeamFactory)


class DesignatedTeacherFactory(DjangoModelFactory):
    class Meta:
        model = DesignatedTeacher

    name = factory.Sequence(lambda n: f"Designated teacher {n}")
    email = factory.Sequence(lambda n: f"dt{n}@example.org")
    school = factory.SubFactory(SchoolFactory)


class ChildFactory(DjangoModelFactory):
    class Meta:
        model = Child

    la_reference = factory.Sequence(lambda n: f"T-{n:06d}")
    first_name = factory.Sequence(lambda n: f"Kid{n}")
    last_name = factory.Sequence(lambda n: f"Surname{n}")
    year_group = 5
    # Roughly the right age for the year group (Year 1 is the year a child turns 6).
    date_of_birth = factory.LazyAttribute(lambda o: date(2019 - o.year_group, 3, 1))
    allocated_officer = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    social_worker = factory.SubFactory(SocialWorkerFactory)
    designated_teacher = factory.SubFactory(DesignatedTeacherFactory, school=factory.SelfAttribute("..school"))


def _term_start(academic_year: int, season: str) -> date:
    return {
        Season.AUTUMN: date(academic_year, 9, 1),
        Season.SPRING: date(academic_year + 1, 1, 5),
        Season.SUMMER: date(academic_year + 1, 4, 20),
    }[Season(season)]


class TermFactory(DjangoModelFactory):
    """Successive terms: Autumn 2000/01, Spring 2000/01, Summer 2000/01, Autumn 2001/02...

    Dates follow ``academic_year`` and ``season``, so passing either still gives a
    consistent term. The early base year keeps the sequence clear of real-looking terms.
    """

    class Meta:
        model = Term
        django_get_or_create = ("academic_year", "season")

    # Wraps within 2000-2019 so a long test run never reaches the present.
    academic_year = factory.Sequence(lambda n: 2000 + (n // 3) % 20)
    season = factory.Sequence(lambda n: SEASONS[n % 3])
    start_date = factory.LazyAttribute(lambda o: _term_start(o.academic_year, o.season))
    end_date = factory.LazyAttribute(lambda o: o.start_date + timedelta(weeks=14))
    pep_deadline = factory.LazyAttribute(lambda o: o.start_date + timedelta(weeks=8))


class PepFactory(DjangoModelFactory):
    class Meta:
        model = Pep

    child = factory.SubFactory(ChildFactory)
    term = factory.SubFactory(TermFactory)
    officer = factory.LazyAttribute(lambda o: o.child.allocated_officer)
    phase = factory.LazyAttribute(lambda o: Phase.for_year_group(o.child.year_group))
    year_group = factory.LazyAttribute(lambda o: o.child.year_group)
    status = PepStatus.SUBMITTED
    meeting_date = factory.LazyAttribute(lambda o: o.term.start_date + timedelta(weeks=3))


class ProFormaFactory(DjangoModelFactory):
    """A further version of a phase's pro-forma (version 1 is seeded by a migration).

    Gets the next free version number for the phase and, unless ``areas=0`` is passed,
    eight areas.
    """

    class Meta:
        model = ProForma
        skip_postgeneration_save = True

    phase = Phase.SSA
    version = factory.LazyAttribute(
        lambda o: (
            (ProForma.objects.filter(phase=o.phase).order_by("-version").values_list("version", flat=True).first() or 0)
            + 1
        )
    )
    title = factory.LazyAttribute(lambda o: f"{o.phase} pro-forma v{o.version}")
    is_active = True

    @factory.post_generation
    def areas(self, create, extracted, **kwargs):
        if not create:
            return
        count = 8 if extracted is None else extracted
        for position in range(1, count + 1):
            ProFormaAreaFactory(pro_forma=self, position=position)


class ProFormaAreaFactory(DjangoModelFactory):
    class Meta:
        model = ProFormaArea

    pro_forma = factory.SubFactory(ProFormaFactory, areas=0)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Area {n}")
    description = "What the reviewer looks at."
    gold_criteria = "Outstanding."
    green_criteria = "Good."
    amber_criteria = "Incomplete."
    red_criteria = "Poor."


def rate_all(review: QaReview, ratings: list[str], comment: str = "ok") -> dict[int, AreaInput]:
    """The ``areas`` argument of ``reviews.services.save_review``: one rating per area of
    the review, in pro-forma order. ``""`` leaves an area unrated."""
    area_ratings = list(review.area_ratings.order_by("area__position"))
    if len(ratings) != len(area_ratings):
        raise ValueError(f"{len(area_ratings)} areas to rate, {len(ratings)} ratings given")
    return {
        area_rating.pk: AreaInput(rating=str(rating), comment=comment if rating else "")
        for area_rating, rating in zip(area_ratings, ratings, strict=True)
    }


class ModerationGroupFactory(DjangoModelFactory):
    """``ModerationGroupFactory(members=[user, ...])``."""

    class Meta:
        model = ModerationGroup
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Moderation group {n}")
    is_active = True

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


class SampleFactory(DjangoModelFactory):
    """A line-management sample of an officer by default; pass ``kind`` and the scope for others."""

    class Meta:
        model = Sample

    term = factory.SubFactory(TermFactory)
    kind = SampleKind.LINE_MANAGEMENT
    seed = factory.Sequence(lambda n: f"seed-{n}")


class SampleEntryFactory(DjangoModelFactory):
    class Meta:
        model = SampleEntry

    sample = factory.SubFactory(SampleFactory)
    pep = factory.SubFactory(PepFactory, term=factory.SelfAttribute("..sample.term"))
    reason = Reason.RANDOM_SHARE
    assigned_to = factory.LazyAttribute(lambda o: o.sample.reviewer)
    due_date = factory.LazyAttribute(lambda o: o.sample.term.end_date)


class QaReviewFactory(DjangoModelFactory):
    """A review without area ratings, on the current pro-forma of the PEP's phase (use
    ``reviews.services`` when the ratings matter). ``submitted=True`` for a submitted one."""

    class Meta:
        model = QaReview

    pep = factory.SubFactory(PepFactory)
    reviewer = factory.SubFactory(UserFactory, role=Role.MANAGER)
    kind = ReviewKind.LINE_MANAGEMENT
    pro_forma = factory.LazyAttribute(lambda o: ProForma.objects.current_for(o.pep.phase))

    class Params:
        submitted = factory.Trait(
            status=ReviewStatus.SUBMITTED,
            overall_judgement="green",
            submitted_at=factory.LazyFunction(timezone.now),
        )


class SupervisionFactory(DjangoModelFactory):
    """A one-to-one of an officer with their line manager (made for them if they have none)."""

    class Meta:
        model = Supervision

    officer = factory.SubFactory(UserFactory, role=Role.OFFICER)
    manager = factory.LazyAttribute(lambda o: o.officer.line_manager or UserFactory(role=Role.MANAGER))
    date = factory.LazyFunction(timezone.localdate)
    notes = "Talked through the QA of the last term's PEPs."
    recorded_by = factory.SelfAttribute("manager")


class PracticeActionFactory(DjangoModelFactory):
    """An open action agreed at a supervision, owned by the supervised officer."""

    class Meta:
        model = PracticeAction

    supervision = factory.SubFactory(SupervisionFactory)
    owner = factory.LazyAttribute(lambda o: o.supervision.officer if o.supervision else UserFactory())
    description = factory.Sequence(lambda n: f"Make every target SMART (action {n})")
    due = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=28))


class TrainingOfferFactory(DjangoModelFactory):
    class Meta:
        model = TrainingOffer

    supervision = factory.SubFactory(SupervisionFactory)
    officer = factory.SelfAttribute("supervision.officer")
    kind = TrainingKind.SHADOWING
    with_whom = "An experienced VSO"
    date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))


class CapabilityConcernFactory(DjangoModelFactory):
    class Meta:
        model = CapabilityConcern

    officer = factory.SubFactory(UserFactory, role=Role.OFFICER)
    opened_on = factory.LazyFunction(timezone.localdate)
    opened_by = factory.LazyAttribute(lambda o: o.officer.line_manager)
    notes = "Stage 1 of the capability process agreed with HR."


class GoldExemplarFactory(DjangoModelFactory):
    """A proposed exemplar of a submitted Gold review, marked by its reviewer."""

    class Meta:
        model = GoldExemplar

    review = factory.SubFactory(QaReviewFactory, submitted=True, overall_judgement="gold")
    marked_by = factory.SelfAttribute("review.reviewer")
    what_made_it_gold = "The targets were SMART and the child's voice ran through every section."


def queue_notice(
    pep: Pep | None = None,
    *,
    kind: str = NoticeKind.RETURNED,
    to: list[Recipient] | None = None,
    cc: list[Recipient] | None = None,
    state: str = DeliveryState.WAITING,
    errors: tuple[str, ...] = (),
    caused_by: User | None = None,
) -> Notice:
    """A message in the outbox (through ``notices.outbox.queue_message``, the return e-mail's
    template), about ``pep``: waiting by default, or ``state`` sent or failed; ``errors``
    are refused attempts logged before (a failed one gets one at least). Test data: no
    delivery is started (a test starts one itself, or queues through the services)."""
    if to is None:
        to = [Recipient("dt@example.org", "Dee Teacher", "designated teacher")]
    context = {"child": pep.child.la_reference if pep else "", "pep": pep, "due_on": date(2030, 1, 10)}
    with mock.patch.object(outbox, "deliver_after_commit"):
        notice = outbox.queue_message(
            kind=kind,
            to=to,
            cc=cc or [],
            template="reviews/email/returned",
            context=context,
            pep=pep,
            caused_by=caused_by,
        )
    assert notice is not None
    if state == DeliveryState.FAILED and not errors:
        errors = ("(550, b'Mailbox unavailable')",)
    for error in errors:
        Log.objects.create(email=notice.email, status=STATUS.failed, message=error, exception_type="SMTPDataError")
    status = {DeliveryState.SENT: STATUS.sent, DeliveryState.FAILED: STATUS.failed}.get(DeliveryState(state))
    if status is not None:
        Email.objects.filter(pk=notice.email_id).update(status=status, number_of_retries=len(errors))
        if status == STATUS.sent:
            Log.objects.create(email=notice.email, status=STATUS.sent, message="")
    notice.email.refresh_from_db()
    return notice
