"""Benchmark: the reporting figures, the dashboard and the PDF reports for the largest authority.

    .venv/bin/python bench/reporting.py [--children 2000 --years 10 --officers 25 --managers 4]

Builds the authority with bench/sampling.py's builder (children, one PEP a child a term over
`--years` years, 30% of them reviewed with their area ratings), extended with what only the
reports read: schools, social workers in four social care teams (each with a manager),
the children's schools and social workers, each PEP's year group that term, completion
dates (on time, late, not yet), whether the SW updated their section. For the latest term
it then records amendments (the returned PEPs' status changes, half of them amended), draws
the QA samples and completes the moderation re-ratings, and measures:

(a) the dashboard's figures, `reporting.figures.term_figures(term)` + `trend(term)`: wall
    time (the best of three runs, and the first), database queries, peak Python memory
    (tracemalloc, on a separate run);
(b) the dashboard page, `reporting:dashboard`, fetched with Django's test Client as the
    VSH (skipped with a note while the URL does not exist);
(c) the board and social care PDFs, `reporting.pdf.board_report_pdf(term)` and
    `social_care_report_pdf(term)`: time, queries, pages (pypdf), size, peak memory
    (skipped with a note while reporting.pdf does not exist).

It does the same for a small authority first (`--small-children`, `--small-officers`) and
prints both side by side: the figures run the same number of queries whatever the number
of PEPs, officers, schools or teams, and the script exits non-zero if they do not.

Database: DATABASE_URL, as for the app; unset, a temporary SQLite file under /tmp that is
deleted afterwards. On PostgreSQL use a database of its own, which the benchmark migrates
and fills (and with --flush empties first; it refuses a database that holds terms):

    createdb -h 127.0.0.1 -U postgres hvs_qa_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hvs_qa_bench .venv/bin/python bench/reporting.py
"""

import argparse
import importlib.util
import io
import random
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from peps.models import Child, School, SocialWorker

BASE_DIR = Path(__file__).resolve().parent.parent
# This file is bench/reporting.py: keep `import reporting` pointing at the app, not at us.
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]


def _load_builder():
    """bench/sampling.py, under another name (`sampling` is the app)."""
    spec = importlib.util.spec_from_file_location("bench_sampling", Path(__file__).with_name("sampling.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _load_builder()

TEAMS = [("North", "Nadia North"), ("South", "Sol South"), ("East", "Esme East"), ("West", "Wes West")]
# Each team's SWs update their section of the ePEP this often (the reports compare teams).
SECTION_UPDATED = [0.92, 0.84, 0.76, 0.66]


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
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDFs")
    parser.add_argument("--flush", action="store_true", help="empty the database's school data first")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    return parser.parse_args(argv)


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


def build(*, children, officers, managers, args) -> dict:
    extras = ReportingExtras(children=children, seed=args.seed)
    started = time.perf_counter()
    built = builder.build_authority(
        children=children,
        years=args.years,
        officers=officers,
        managers=managers,
        reviewed=args.reviewed,
        seed=args.seed,
        extras=extras,
    )
    built["moderated"] = complete_the_latest_term(built["latest_term"], args.seed)
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


def wipe() -> None:
    from peps.models import DesignatedTeacher, School, SocialCareTeam, SocialWorker

    try:
        from reporting.models import ReportRequest
    except ImportError:
        pass
    else:
        ReportRequest.objects.all().delete()
    builder.wipe()
    for model in (SocialWorker, SocialCareTeam, DesignatedTeacher, School):
        model.objects.all()._raw_delete(model.objects.db)


def _timed(function, runs=1):
    """(result of the first run, its queries, its seconds, the best seconds of `runs`)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The log keeps the last 9,000 queries only: once full it no longer grows, and
    # CaptureQueriesContext (which counts its growth) would see none.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = function()
        first = time.perf_counter() - started
    times = [first]
    for _ in range(runs - 1):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return result, len(queries), first, min(times)


def _peak_mib(function) -> float:
    tracemalloc.start()
    try:
        function()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def measure_figures(term) -> dict:
    from reporting.figures import term_figures, trend

    def dashboard_figures():
        return term_figures(term), trend(term)

    (figures, points), queries, first, best = _timed(dashboard_figures, runs=3)
    return {
        "figures_queries": queries,
        "figures_first": first,
        "figures_best": best,
        "figures_mib": _peak_mib(dashboard_figures),
        "figures": figures,
        "trend": points,
    }


def dashboard_url():
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("reporting:dashboard")
    except NoReverseMatch:
        return None


def measure_dashboard(term) -> dict:
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, reset_queries
    from django.test import Client

    from accounts.models import User

    url = dashboard_url()
    if url is None:
        return {}
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username="bench-vsh"))
    url = f"{url}?term={term.pk}"

    def page():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        return response

    # Each request starts by clearing the query log and ends by closing the connection
    # (CONN_MAX_AGE 0): either would lose the queries being counted.
    request_started.disconnect(reset_queries)
    request_finished.disconnect(close_old_connections)
    try:
        response, queries, first, best = _timed(page, runs=3)
        peak = _peak_mib(page)
    finally:
        request_started.connect(reset_queries)
        request_finished.connect(close_old_connections)
    return {
        "page_queries": queries,
        "page_first": first,
        "page_best": best,
        "page_kib": len(response.content) / 1024,
        "page_mib": peak,
    }


def pdf_functions():
    if importlib.util.find_spec("reporting.pdf") is None:
        return None
    from reporting import pdf

    functions = {name: getattr(pdf, f"{name}_report_pdf", None) for name in ("board", "social_care")}
    return functions if all(functions.values()) else None


def measure_pdfs(term) -> dict:
    from pypdf import PdfReader

    functions = pdf_functions()
    if functions is None:
        return {}
    results = {}
    for name, function in functions.items():
        data, queries, seconds, _ = _timed(lambda f=function: f(term))
        results[name] = {
            "seconds": seconds,
            "queries": queries,
            "pages": len(PdfReader(io.BytesIO(data)).pages),
            "kib": len(data) / 1024,
            "mib": _peak_mib(lambda f=function: f(term)),
        }
    # The board report's Word version (reporting.docx) is built in the request: its time is the page's.
    from reporting.docx import board_report_docx

    data, queries, seconds, _ = _timed(lambda: board_report_docx(term))
    results["board_docx"] = {
        "seconds": seconds,
        "queries": queries,
        "kib": len(data) / 1024,
        "mib": _peak_mib(lambda: board_report_docx(term)),
    }
    return results


def _pct(value) -> str:
    return "no data" if value is None else f"{100 * float(value):.1f}%"  # shares are Fractions


def run(args) -> None:
    from django.db import connection

    from peps.models import Term

    if Term.objects.exists():
        if not args.flush:
            sys.exit("The database already holds terms: use an empty database, or --flush to empty it.")
        wipe()
    vendor = connection.vendor
    print(f"Database: {vendor} ({connection.settings_dict['NAME']})")
    has_page, has_pdf = dashboard_url() is not None, pdf_functions() is not None and not args.no_pdf
    sizes = [
        ("small", dict(children=args.small_children, officers=args.small_officers, managers=1)),
        ("large", dict(children=args.children, officers=args.officers, managers=args.managers)),
    ]
    results = {}
    for label, size in sizes:
        built = build(args=args, **size)
        print(
            f"{label}: built {built['children']} children, {built['officers']} officers, {built['schools']} schools, "
            f"{built['social_workers']} social workers in {len(TEAMS)} teams, {built['terms']} terms, "
            f"{built['peps']:,} PEPs, {built['reviews']:,} reviews, {built['area_ratings']:,} area ratings, "
            f"{built['moderated']} moderation re-ratings in {built['build_seconds']:.1f} s"
        )
        term = built["latest_term"]
        result = {**built, **measure_figures(term)}
        if has_page:
            result.update(measure_dashboard(term))
        if has_pdf:
            result["pdfs"] = measure_pdfs(term)
        figures = result["figures"]
        c, q = figures.completion, figures.quality
        print(
            f"{label}: {term}: {c.due} due, {_pct(c.completed_share)} completed, {_pct(c.on_time_share)} on time; "
            f"{q.judged} judged, {_pct(q.good_or_better_share)} good or better; "
            f"SW attended {_pct(figures.social_work_total.attended_share)}, "
            f"section updated {_pct(figures.social_work_total.section_share)}; "
            f"coverage {figures.coverage.officers_met}/{figures.coverage.officers} officers; "
            f"moderation {figures.moderation.pairs} pairs, exact {_pct(figures.moderation.exact)}"
        )
        results[label] = result
        if label == "small":
            wipe()

    small, large = results["small"], results["large"]
    rows = [
        (
            "children / officers",
            f"{small['children']} / {small['officers']}",
            f"{large['children']} / {large['officers']}",
        ),
        (
            "schools / social workers",
            f"{small['schools']} / {small['social_workers']}",
            f"{large['schools']} / {large['social_workers']}",
        ),
        ("PEPs (all terms)", f"{small['peps']:,}", f"{large['peps']:,}"),
        ("PEPs in the latest term", f"{small['latest_peps']:,}", f"{large['latest_peps']:,}"),
        (
            "reviews / area ratings",
            f"{small['reviews']:,} / {small['area_ratings']:,}",
            f"{large['reviews']:,} / {large['area_ratings']:,}",
        ),
        ("data build (s)", f"{small['build_seconds']:.1f}", f"{large['build_seconds']:.1f}"),
        ("(a) figures+trend: first (s)", f"{small['figures_first']:.3f}", f"{large['figures_first']:.3f}"),
        ("(a) figures+trend: best (s)", f"{small['figures_best']:.3f}", f"{large['figures_best']:.3f}"),
        ("(a) figures+trend: queries", small["figures_queries"], large["figures_queries"]),
        ("(a) figures+trend: peak MiB", f"{small['figures_mib']:.2f}", f"{large['figures_mib']:.2f}"),
    ]
    notes = []
    if has_page:
        rows += [
            ("(b) dashboard: first (s)", f"{small['page_first']:.3f}", f"{large['page_first']:.3f}"),
            ("(b) dashboard: best (s)", f"{small['page_best']:.3f}", f"{large['page_best']:.3f}"),
            ("(b) dashboard: queries", small["page_queries"], large["page_queries"]),
            ("(b) dashboard: page KiB", f"{small['page_kib']:.0f}", f"{large['page_kib']:.0f}"),
            ("(b) dashboard: peak MiB", f"{small['page_mib']:.2f}", f"{large['page_mib']:.2f}"),
        ]
    else:
        notes.append("(b) skipped: there is no reporting:dashboard URL yet.")
    if has_pdf:
        for name, title in (("board", "board PDF"), ("social_care", "social care PDF")):
            a, b = small["pdfs"][name], large["pdfs"][name]
            rows += [
                (f"(c) {title}: time (s)", f"{a['seconds']:.2f}", f"{b['seconds']:.2f}"),
                (f"(c) {title}: queries", a["queries"], b["queries"]),
                (f"(c) {title}: pages", a["pages"], b["pages"]),
                (f"(c) {title}: KiB", f"{a['kib']:.0f}", f"{b['kib']:.0f}"),
                (f"(c) {title}: peak MiB", f"{a['mib']:.1f}", f"{b['mib']:.1f}"),
            ]
        a, b = small["pdfs"]["board_docx"], large["pdfs"]["board_docx"]
        rows += [
            ("(c) board Word: time (s)", f"{a['seconds']:.2f}", f"{b['seconds']:.2f}"),
            ("(c) board Word: queries", a["queries"], b["queries"]),
            ("(c) board Word: KiB", f"{a['kib']:.0f}", f"{b['kib']:.0f}"),
            ("(c) board Word: peak MiB", f"{a['mib']:.1f}", f"{b['mib']:.1f}"),
        ]
    else:
        notes.append(
            "(c) skipped: "
            + (
                "--no-pdf."
                if args.no_pdf
                else "reporting.pdf (board_report_pdf, social_care_report_pdf) is not there yet."
            )
        )
    print()
    print(f"Reporting on the latest term ({vendor}, {args.years} years of history)")
    print(f"{'':<32} {'small':>16} {'large':>16}")
    for name, a, b in rows:
        print(f"{name:<32} {a!s:>16} {b!s:>16}")
    for note in notes:
        print(note)
    print()
    if has_page and small["page_queries"] != large["page_queries"]:
        print(
            f"Note: the dashboard page ran {small['page_queries']} queries for the small authority and "
            f"{large['page_queries']} for the large one."
        )
    if small["figures_queries"] == large["figures_queries"]:
        print(
            f"The dashboard's figures run {large['figures_queries']} queries whatever the authority's size "
            f"({small['latest_peps']:,} or {large['latest_peps']:,} PEPs in the term)."
        )
    else:
        print(
            f"WARNING: the dashboard's figures ran {small['figures_queries']} queries for the small authority "
            f"and {large['figures_queries']} for the large one: they grow with its size."
        )
        sys.exit(1)


def main(argv=None) -> None:
    args = parse_args(argv)
    temp = builder.setup_django(args)
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
