"""The benchmarks' authority: Django set up on DATABASE_URL, and the data built with bulk
inserts (not the services, for speed), shared by bench/sampling.py, bench/reporting.py,
bench/notices.py and bench/http.py.

- `build_authority`: children, one PEP a child a term over `years` years (three terms a
  year), a share of them with a submitted line-management review and its area ratings,
  officers, managers, two lead practitioners and a moderation group (bench/sampling.py).
- `ReportingExtras` + `build_reporting_authority`: the same, with what only the reports
  read, and the latest term completed (amendments, samples, moderation; bench/reporting.py).
- `wipe` / `wipe_all`: the school's data deleted again, the first what `build_authority`
  makes, the second also schools, teams, social workers, designated teachers, report requests.
"""

import os
import random
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from peps.models import Child, School, SocialWorker

TIERS = ["gold", "green", "amber", "red"]
TIER_WEIGHTS = [18, 56, 19, 7]
AREA_DISTRIBUTION = {  # a PEP's quality tier -> weights of its area ratings
    "gold": [95, 5, 0, 0],
    "green": [25, 72, 3, 0],
    "amber": [5, 45, 38, 12],
    "red": [0, 5, 25, 70],
}
SEASONS = ["autumn", "spring", "summer"]


TEAMS = [("North", "Nadia North"), ("South", "Sol South"), ("East", "Esme East"), ("West", "Wes West")]
# Each team's SWs update their section of the ePEP this often (the reports compare teams).
SECTION_UPDATED = [0.92, 0.84, 0.76, 0.66]


def setup_django(args=None) -> Path | None:
    temp = None
    if not os.environ.get("DATABASE_URL"):
        fd, name = tempfile.mkstemp(prefix="hvs_qa_bench_", suffix=".sqlite3", dir="/tmp")
        os.close(fd)
        temp = Path(name)
        os.environ["DATABASE_URL"] = f"sqlite:///{temp}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hvs_qa.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return temp


def term_dates(year: int, season: str) -> tuple[date, date, date]:
    start, end = {
        "autumn": (date(year, 9, 1), date(year, 12, 31)),
        "spring": (date(year + 1, 1, 1), date(year + 1, 3, 31)),
        "summer": (date(year + 1, 4, 1), date(year + 1, 8, 31)),
    }[season]
    return start, end, start + timedelta(weeks=6)


def wipe() -> None:
    """Delete the school's data, children first, each step a plain DELETE (the outbox's
    messages and the amendments first: they point at PEPs and reviews)."""
    from post_office.models import Email, Log

    from accounts.models import User
    from notices.models import Notice, NoticeRecipient
    from peps.models import AspirationEntry, Child, Pep, PepStatusChange, Term
    from practice.models import PeerReviewMeeting, PeerReviewPep
    from reviews.models import Amendment, AreaRating, QaReview
    from sampling.models import ModerationGroup, Sample, SampleEntry

    Log.objects.all()._raw_delete(Log.objects.db)  # post_office's: untyped, so apart
    for outbox_model in (NoticeRecipient, Notice):
        outbox_model.objects.all()._raw_delete(outbox_model.objects.db)
    Email.objects.all()._raw_delete(Email.objects.db)
    for model in (
        Amendment,
        SampleEntry,
        Sample,
        ModerationGroup.members.through,
        ModerationGroup,
        PeerReviewPep,
        PeerReviewMeeting.attendees.through,
        PeerReviewMeeting,
        AreaRating,
        QaReview,
        AspirationEntry,
        PepStatusChange,
        Pep,
        Child,
        Term,
    ):
        model.objects.all()._raw_delete(model.objects.db)
    User.lead_areas.through.objects.all().delete()
    User.objects.filter(is_superuser=False).update(line_manager=None)
    User.objects.filter(is_superuser=False).delete()


def build_authority(
    *, children: int, years: int, officers: int, managers: int, reviewed: float, seed: int, extras=None
) -> dict:
    """The authority, with bulk inserts. Returns row counts.

    `extras` (optional, see bench/reporting.py) fills what only the reports read: its
    `setup()` runs first, `child(child)` and `pep(pep, term, latest)` see each row before
    it is inserted. It draws from its own random generator, so the data here (and the
    samples drawn from it) are the same with or without it.
    """
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import LeadArea, Role, User
    from core.vocabulary import Phase
    from peps.models import Child, Pep, Term
    from reviews import rules
    from reviews.models import AreaRating, ProForma, QaReview
    from sampling.models import ModerationGroup

    rng = random.Random(seed)
    today = date.today()
    this_year = today.year if today.month >= 9 else today.year - 1
    with transaction.atomic():
        if extras is not None:
            extras.setup()
        # Terms: 3 x `years` of them, oldest first, the last one the term open today.
        keys = [(this_year, "autumn" if today.month >= 9 else "spring" if today.month <= 3 else "summer")]
        while len(keys) < 3 * years:
            year, season = keys[0]
            index = SEASONS.index(season)
            keys.insert(0, (year - 1, SEASONS[2]) if index == 0 else (year, SEASONS[index - 1]))
        terms = []
        for year, season in keys:
            start, end, deadline = term_dates(year, season)
            terms.append(Term(academic_year=year, season=season, start_date=start, end_date=end, pep_deadline=deadline))
        terms = Term.objects.bulk_create(terms)
        latest = terms[-1]

        # Staff.
        head = User.objects.create(
            username="bench-vsh",
            role=Role.VSH,
            first_name="Head",
            last_name="Teacher",
            email="vsh@bench.example.org",
            password="!",
        )
        bosses = User.objects.bulk_create(
            User(
                username=f"bench-manager{n}",
                role=Role.MANAGER,
                first_name="Manager",
                last_name=str(n),
                email=f"manager{n}@bench.example.org",
                password="!",
                line_manager=head,
                start_date=today - timedelta(days=2000),
            )
            for n in range(managers)
        )
        team = User.objects.bulk_create(
            User(
                username=f"bench-officer{n}",
                role=Role.OFFICER,
                first_name="Officer",
                last_name=str(n),
                email=f"officer{n}@bench.example.org",
                password="!",
                line_manager=bosses[n % managers],
                # the last officer is a new starter this term
                start_date=latest.start_date - timedelta(days=10 if n == officers - 1 else 400 + 50 * n),
            )
            for n in range(officers)
        )
        leads = User.objects.bulk_create(
            User(
                username=f"bench-lead{n}",
                role=Role.LEAD,
                first_name="Lead",
                last_name=str(n),
                email=f"lead{n}@bench.example.org",
                password="!",
                line_manager=head,
            )
            for n in range(2)
        )
        areas = {a.code: a for a in LeadArea.objects.all()}
        through = User.lead_areas.through
        through.objects.bulk_create(
            [
                through(user_id=leads[0].pk, leadarea_id=areas[code].pk)
                for code in ("early-years", "send")
                if code in areas
            ]
            + [
                through(user_id=leads[1].pk, leadarea_id=areas[code].pk)
                for code in ("post-16", "attendance")
                if code in areas
            ]
        )
        group = ModerationGroup.objects.create(name="Bench moderation group")
        group.members.set([head, leads[0], *bosses])

        # Children: year group as of this year, SEND for one in five.
        kids = [
            Child(
                la_reference=f"B-{n:06d}",
                first_name="Child",
                last_name=f"{n:06d}",
                date_of_birth=date(2010, 1, 1),
                year_group=rng.randint(-2, 13),
                has_send=rng.random() < 0.2,
                has_ehcp=rng.random() < 0.1,
                allocated_officer=team[n % officers],
            )
            for n in range(children)
        ]
        if extras is not None:
            for kid in kids:
                extras.child(kid)
        kids = Child.objects.bulk_create(kids, batch_size=2000)

        # PEPs: one a child a term; one in ten held by another officer that term.
        pro_formas: dict[str, ProForma] = {}
        for phase in Phase.values:
            pro_forma = ProForma.objects.current_for(phase)
            assert pro_forma is not None  # the migrations seed one a phase
            pro_formas[phase] = pro_forma
        area_ids = {
            phase: list(pf.areas.order_by("position").values_list("id", flat=True)) for phase, pf in pro_formas.items()
        }
        peps: list[Pep] = []
        ratings_of: dict[int, list[str]] = {}
        for term in terms:
            years_ago = this_year - term.academic_year
            for kid in kids:
                year_group = max(-2, min(13, kid.year_group - years_ago))
                phase = Phase.for_year_group(year_group)
                officer = kid.allocated_officer if rng.random() >= 0.1 else team[rng.randrange(officers)]
                pep = Pep(
                    child_id=kid.pk,
                    term=term,
                    officer=officer,
                    phase=phase,
                    year_group=year_group,
                    status="finalised" if term is not latest else rng.choice(["draft", "submitted"]),
                    meeting_date=term.start_date + timedelta(days=rng.randint(10, 40)),
                    sw_attended=rng.random() < 0.85,
                    dt_attended=rng.random() < 0.95,
                    pp_plus_requested=rng.random() < 0.6,
                    attendance_percent=Decimal(str(round(rng.triangular(60, 100, 95), 1))),
                )
                pep.date_completed = pep.meeting_date
                if rng.random() < reviewed and (term is not latest or pep.status == "submitted"):
                    tier = rng.choices(TIERS, TIER_WEIGHTS)[0]
                    ratings = rng.choices(TIERS, AREA_DISTRIBUTION[tier], k=len(area_ids[phase]))
                    pep.judgement = rules.overall_judgement(ratings)
                    if term is latest:
                        pep.status = "returned" if rules.needs_amendment(ratings) else "finalised"
                    ratings_of[len(peps)] = ratings
                if extras is not None:
                    extras.pep(pep, term, term is latest)
                peps.append(pep)
        Pep.objects.bulk_create(peps, batch_size=2000)

        # Line-management reviews by the officer's manager, with their area ratings.
        manager_of = {u.pk: u.line_manager_id for u in team if u.line_manager_id is not None}  # all of them
        reviews = []
        for index, ratings in ratings_of.items():
            pep = peps[index]
            assert pep.meeting_date is not None and pep.officer_id is not None
            submitted = datetime.combine(pep.meeting_date + timedelta(days=rng.randint(3, 21)), datetime.min.time())
            reviews.append(
                QaReview(
                    pep=pep,
                    reviewer_id=manager_of[pep.officer_id],
                    kind="line_management",
                    pro_forma=pro_formas[pep.phase],
                    status="submitted",
                    overall_judgement=pep.judgement,
                    needs_amendment=rules.needs_amendment(ratings),
                    strengths="Bench.",
                    development_points="Bench.",
                    submitted_at=timezone.make_aware(submitted),
                )
            )
        QaReview.objects.bulk_create(reviews, batch_size=2000)
        AreaRating.objects.bulk_create(
            (
                AreaRating(review_id=review.pk, area_id=area_id, rating=rating, comment="Bench comment.")
                for review, ratings in zip(reviews, ratings_of.values(), strict=True)
                for area_id, rating in zip(area_ids[review.pep.phase], ratings, strict=True)
            ),
            batch_size=5000,
        )
    return {
        "terms": len(terms),
        "children": len(kids),
        "officers": officers,
        "managers": managers,
        "peps": len(peps),
        "reviews": len(reviews),
        "area_ratings": AreaRating.objects.count(),
        "latest_term": latest,
        "latest_peps": sum(1 for p in peps if p.term is latest),
    }


class ReportingExtras:
    """What only the reports read, filled in by the builder's `extras` hooks (its own
    random generator, so the builder's data stay the same)."""

    def __init__(self, *, children: int, seed: int):
        self.children = children
        self.rng = random.Random(f"{seed}-reporting")
        self.schools: list[School] = []
        self.social_workers: list[SocialWorker] = []
        self.team_of: dict[int | None, int] = {}
        self.kids: list[Child] = []
        self.team_of_child: dict[int, int] | None = None

    def setup(self) -> None:
        from peps.models import School, SocialCareTeam, SocialWorker

        self.schools = School.objects.bulk_create(
            School(
                name=f"Bench school {n:03d}",
                urn=f"{900000 + n}",
                local_authority="Benchshire",
                is_out_of_authority=n % 6 == 0,
            )
            for n in range(max(5, self.children // 12))
        )
        teams = SocialCareTeam.objects.bulk_create(
            SocialCareTeam(
                name=f"{name} team", manager_name=manager, manager_email=f"{name.lower()}.team@bench.example.org"
            )
            for name, manager in TEAMS
        )
        self.social_workers = SocialWorker.objects.bulk_create(
            SocialWorker(name=f"Social worker {n:03d}", email=f"sw{n}@bench.example.org", team=teams[n % len(teams)])
            for n in range(max(len(teams), self.children // 20))
        )
        self.team_of = {sw.pk: n % len(teams) for n, sw in enumerate(self.social_workers)}

    def child(self, kid) -> None:
        kid.school = None if self.rng.random() < 0.02 else self.rng.choice(self.schools)
        kid.social_worker = self.rng.choice(self.social_workers)
        self.kids.append(kid)

    def pep(self, pep, term, latest: bool) -> None:
        # The builder completes every PEP on its meeting date, always before the deadline.
        roll = self.rng.random()
        if latest and pep.status == "draft":
            pep.date_completed = None
        elif roll < 0.12:
            pep.date_completed = term.pep_deadline + timedelta(days=self.rng.randint(1, 35))
        elif roll < 0.17:
            pep.date_completed = None
        elif roll < 0.20:
            pep.date_completed = term.pep_deadline  # on the day: on time
        if self.team_of_child is None:  # the children have their ids by now
            self.team_of_child = {kid.pk: self.team_of[kid.social_worker_id] for kid in self.kids}
        pep.sw_section_updated = self.rng.random() < SECTION_UPDATED[self.team_of_child[pep.child_id]]


def build_reporting_authority(*, children, officers, managers, years, reviewed, seed) -> dict:
    """`build_authority` with `ReportingExtras`, then the latest term completed."""
    extras = ReportingExtras(children=children, seed=seed)
    started = time.perf_counter()
    built = build_authority(
        children=children,
        years=years,
        officers=officers,
        managers=managers,
        reviewed=reviewed,
        seed=seed,
        extras=extras,
    )
    built["moderated"] = complete_the_latest_term(built["latest_term"], seed)
    built["schools"], built["social_workers"] = len(extras.schools), len(extras.social_workers)
    built["build_seconds"] = time.perf_counter() - started
    return built


def complete_the_latest_term(term, seed) -> int:
    """Amendments, samples and moderation for the term the reports look at."""
    from django.db import transaction
    from django.utils import timezone

    from core.vocabulary import Rating
    from peps.models import Pep, PepStatus, PepStatusChange
    from reviews import rules
    from reviews.models import AreaRating, QaReview
    from sampling.models import SampleEntry
    from sampling.selectors import MODERATION_KINDS
    from sampling.services import draw_term_samples

    rng = random.Random(f"{seed}-moderation")
    with transaction.atomic():
        returned = list(Pep.objects.filter(term=term, status=PepStatus.RETURNED).values_list("pk", flat=True))
        amended = returned[::2]
        PepStatusChange.objects.bulk_create(
            [
                PepStatusChange(pep_id=pk, from_status=PepStatus.SUBMITTED, to_status=PepStatus.RETURNED)
                for pk in returned
            ]
            + [
                PepStatusChange(pep_id=pk, from_status=PepStatus.RETURNED, to_status=PepStatus.SUBMITTED)
                for pk in amended
            ],
            batch_size=2000,
        )
        Pep.objects.filter(pk__in=amended).update(status=PepStatus.SUBMITTED)

        draw_term_samples(term)

        # Every moderation entry re-rated: each area as first rated, one in six a level off.
        entries = list(
            SampleEntry.objects.filter(
                sample__term=term,
                sample__kind__in=MODERATION_KINDS,
                original_review__isnull=False,
                assigned_to__isnull=False,
            )
            .select_related("original_review")
            .order_by("pk")
        )
        first: dict[int, list[tuple[int, str]]] = {}
        for review_id, area_id, rating in (
            AreaRating.objects.filter(review__in=[e.original_review_id for e in entries])
            .order_by("area__position")
            .values_list("review_id", "area_id", "rating")
        ):
            first.setdefault(review_id, []).append((area_id, rating))
        scale: list[str] = [Rating.RED, Rating.AMBER, Rating.GREEN, Rating.GOLD]
        reviews, ratings_of = [], []
        for entry in entries:
            # Filtered on both above.
            assert entry.original_review is not None and entry.assigned_to_id is not None
            ratings = []
            for area_id, rating in first[entry.original_review.pk]:
                if rng.random() < 1 / 6:
                    rank = scale.index(rating) + rng.choice([-1, 1])
                    rating = scale[min(3, max(0, rank))]
                ratings.append((area_id, rating))
            values = [r for _, r in ratings]
            reviews.append(
                QaReview(
                    pep_id=entry.pep_id,
                    reviewer_id=entry.assigned_to_id,
                    kind="moderation",
                    pro_forma_id=entry.original_review.pro_forma_id,
                    status="submitted",
                    overall_judgement=rules.overall_judgement(values),
                    needs_amendment=rules.needs_amendment(values),
                    submitted_at=timezone.now(),
                )
            )
            ratings_of.append(ratings)
        QaReview.objects.bulk_create(reviews)
        AreaRating.objects.bulk_create(
            (
                AreaRating(review_id=review.pk, area_id=area_id, rating=rating, comment="Bench moderation.")
                for review, ratings in zip(reviews, ratings_of, strict=True)
                for area_id, rating in ratings
            ),
            batch_size=2000,
        )
        for entry, review in zip(entries, reviews, strict=True):
            assert entry.original_review is not None
            entry.review = review
            if review.overall_judgement != entry.original_review.overall_judgement and rng.random() < 0.5:
                entry.agreed_judgement = entry.original_review.overall_judgement
                entry.settled_at = timezone.now()
        SampleEntry.objects.bulk_update(entries, ["review", "agreed_judgement", "settled_at"])
    return len(entries)


def wipe_all() -> None:
    """`wipe`, then the schools, teams, social workers, designated teachers and report requests."""
    from peps.models import DesignatedTeacher, School, SocialCareTeam, SocialWorker

    try:
        from reporting.models import ReportRequest
    except ImportError:
        pass
    else:
        ReportRequest.objects.all().delete()
    wipe()
    for model in (SocialWorker, SocialCareTeam, DesignatedTeacher, School):
        model.objects.all()._raw_delete(model.objects.db)
