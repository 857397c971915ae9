"""Benchmark: drawing a term's QA samples for the largest authority.

    .venv/bin/python bench/sampling.py [--children 2000 --years 10 --officers 25 --managers 4]

Builds an authority with bulk inserts (not the services, for speed): children, one PEP a
child a term over `--years` years (three terms a year), a share of them with a submitted
line-management review and its area ratings (the PEP's judgement from
`reviews.rules.overall_judgement`), officers, managers, two lead practitioners and a
moderation group. Then it measures `sampling.services.draw_term_samples` for the latest
term: wall time, database queries, peak Python memory (tracemalloc), and a second draw
(the top-up, which must add nothing). It does the same for a small authority first
(`--small-children`, `--small-officers`) and prints both query counts side by side: the
draw runs a fixed number of queries whatever the size.

Database: DATABASE_URL, as for the app; unset, a temporary SQLite file under /tmp that is
deleted afterwards. On PostgreSQL use a database of its own, which the benchmark migrates
and fills (and with --flush empties first; it refuses a database that holds terms):

    createdb -h 127.0.0.1 -U postgres hvs_qa_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hvs_qa_bench .venv/bin/python bench/sampling.py
"""

import argparse
import os
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# This file is bench/sampling.py: keep `import sampling` pointing at the app, not at us.
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

TIERS = ["gold", "green", "amber", "red"]
TIER_WEIGHTS = [18, 56, 19, 7]
AREA_DISTRIBUTION = {  # a PEP's quality tier -> weights of its area ratings
    "gold": [95, 5, 0, 0],
    "green": [25, 72, 3, 0],
    "amber": [5, 45, 38, 12],
    "red": [0, 5, 25, 70],
}
SEASONS = ["autumn", "spring", "summer"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=2000)
    parser.add_argument("--years", type=int, default=10, help="years of PEP history (3 terms a year)")
    parser.add_argument("--officers", type=int, default=25)
    parser.add_argument("--managers", type=int, default=4)
    parser.add_argument(
        "--reviewed", type=float, default=0.3, help="share of PEPs with a submitted line-management review"
    )
    parser.add_argument("--small-children", type=int, default=200)
    parser.add_argument("--small-officers", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--flush", action="store_true", help="empty the database's school data first")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    return parser.parse_args(argv)


def setup_django(args) -> Path | None:
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


def measure(term) -> dict:
    """Draw the term's samples three times: timed with queries counted; again from scratch
    under tracemalloc for the peak memory; then a top-up (which must add nothing)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sampling.models import Sample, SampleEntry
    from sampling.services import draw_term_samples

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        first = draw_term_samples(term)
        seconds = time.perf_counter() - started
    inserts = sum(1 for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT"))
    entries = SampleEntry.objects.filter(sample__term=term).count()

    Sample.objects.filter(term=term).delete()
    tracemalloc.start()
    draw_term_samples(term)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    with CaptureQueriesContext(connection) as topup_queries:
        started = time.perf_counter()
        second = draw_term_samples(term)
        topup_seconds = time.perf_counter() - started
    assert second.entries_created == 0 and second.samples_created == 0, second
    assert SampleEntry.objects.filter(sample__term=term).count() == entries
    return {
        "seconds": seconds,
        "queries": len(queries),
        "inserts": inserts,
        "peak_mib": peak / 2**20,
        "samples": first.samples_created,
        "entries": first.entries_created,
        "result": str(first),
        "topup_seconds": topup_seconds,
        "topup_queries": len(topup_queries),
        "topup": str(second),
    }


def run(args) -> None:
    from django.db import connection

    from peps.models import Term

    if Term.objects.exists():
        if not args.flush:
            sys.exit("The database already holds terms: use an empty database, or --flush to empty it.")
        wipe()
    vendor = connection.vendor
    print(f"Database: {vendor} ({connection.settings_dict['NAME']})")
    sizes = [
        ("small", dict(children=args.small_children, officers=args.small_officers, managers=1)),
        ("large", dict(children=args.children, officers=args.officers, managers=args.managers)),
    ]
    figures = {}
    for label, size in sizes:
        started = time.perf_counter()
        built = build_authority(years=args.years, reviewed=args.reviewed, seed=args.seed, **size)
        build_seconds = time.perf_counter() - started
        print(
            f"{label}: built {built['children']} children, {built['officers']} officers, "
            f"{built['managers']} managers, {built['terms']} terms, {built['peps']} PEPs, "
            f"{built['reviews']} reviews, {built['area_ratings']} area ratings in {build_seconds:.1f} s"
        )
        figures[label] = {**built, **measure(built["latest_term"]), "build_seconds": build_seconds}
        print(f"{label}: {figures[label]['result']}")
        if label == "small":
            wipe()

    small, large = figures["small"], figures["large"]
    rows = [
        ("children", small["children"], large["children"], "{}"),
        (
            "officers / managers",
            f"{small['officers']} / {small['managers']}",
            f"{large['officers']} / {large['managers']}",
            "{}",
        ),
        ("PEPs (all terms)", small["peps"], large["peps"], "{:,}"),
        ("PEPs in the latest term", small["latest_peps"], large["latest_peps"], "{:,}"),
        (
            "reviews / area ratings",
            f"{small['reviews']:,} / {small['area_ratings']:,}",
            f"{large['reviews']:,} / {large['area_ratings']:,}",
            "{}",
        ),
        ("data build (s)", small["build_seconds"], large["build_seconds"], "{:.1f}"),
        (
            "draw: samples / entries",
            f"{small['samples']} / {small['entries']}",
            f"{large['samples']} / {large['entries']}",
            "{}",
        ),
        ("draw: wall time (s)", small["seconds"], large["seconds"], "{:.3f}"),
        ("draw: queries", small["queries"], large["queries"], "{}"),
        ("  of which INSERT batches", small["inserts"], large["inserts"], "{}"),
        ("  all other queries", small["queries"] - small["inserts"], large["queries"] - large["inserts"], "{}"),
        ("draw: peak memory (MiB)", small["peak_mib"], large["peak_mib"], "{:.1f}"),
        ("top-up draw: wall time (s)", small["topup_seconds"], large["topup_seconds"], "{:.3f}"),
        ("top-up draw: queries", small["topup_queries"], large["topup_queries"], "{}"),
        ("top-up draw: new entries", 0, 0, "{}"),
    ]
    print()
    print(f"Drawing the latest term's QA samples ({vendor}, {args.years} years of history)")
    print(f"{'':<28} {'small':>16} {'large':>16}")
    for name, a, b, fmt in rows:
        print(f"{name:<28} {fmt.format(a):>16} {fmt.format(b):>16}")
    same = (
        small["queries"] - small["inserts"] == large["queries"] - large["inserts"]
        and small["topup_queries"] == large["topup_queries"]
    )
    print()
    if same:
        print(
            "Queries do not grow with the authority's size: the same reads and updates whatever the number "
            "of officers, PEPs or samples;\nonly the bulk INSERT is split into batches (SQLite: Django's "
            "999-parameter limit, 83 entries a batch; PostgreSQL: 2,000 a batch)."
        )
    else:
        print("WARNING: the number of queries grows with the authority's size.")
        sys.exit(1)


def main(argv=None) -> None:
    args = parse_args(argv)
    temp = setup_django(args)
    try:
        run(args)
    finally:
        if temp is not None:
            if args.keep:
                print(f"SQLite file kept: {temp}")
            else:
                for suffix in ("", "-journal", "-wal", "-shm"):
                    Path(f"{temp}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
