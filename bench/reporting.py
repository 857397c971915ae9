"""Benchmark: the reporting figures, the dashboard and the PDF reports for the largest authority.

    .venv/bin/python bench/reporting.py [--children 2000 --years 10 --officers 25 --managers 4]

Builds the authority with bench/authority.py's builder (children, one PEP a child a term over
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
import sys
import time
import tracemalloc
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# This file is bench/reporting.py: keep `import reporting` pointing at the app, not at us.
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]


from bench import authority  # noqa: E402 - after the path fix
from bench.authority import TEAMS  # noqa: E402


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


def build(*, children, officers, managers, args) -> dict:
    return authority.build_reporting_authority(
        children=children,
        officers=officers,
        managers=managers,
        years=args.years,
        reviewed=args.reviewed,
        seed=args.seed,
    )


wipe = authority.wipe_all


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
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User

    url = dashboard_url()
    if url is None:
        return {}
    client = Client(HTTP_HOST="localhost")
    vsh = User.objects.get(username="bench-vsh")
    client.force_login(vsh)
    # Staff pages need the second factor: mark the session verified, as django_otp.login does.
    device = TOTPDevice.objects.filter(user=vsh, confirmed=True).first() or TOTPDevice.objects.create(
        user=vsh, name="bench", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
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


# Issue 12: the board PDF within 10x of the plain floor (plain_html) of its page count.
BOARD_TARGET_RATIO = 10

PLAIN_PARAGRAPH = (
    "<p>"
    + "The Virtual School reports to the board each term on the completion and quality of Personal Education Plans. "
    * 6
    + "</p>"
)


def plain_html(pages: int) -> str:
    """The plain floor: ``pages`` A4 pages of a heading and two paragraphs each, in the
    reports' font, no tables, no charts, no running heads: what WeasyPrint needs at least
    to lay out and write that many pages."""
    body = "".join(f"<h1 style='break-before: page'>Page {n + 1}</h1>{PLAIN_PARAGRAPH * 2}" for n in range(pages))
    return (
        "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'><title>Plain</title>"
        "<style>@page { size: A4; margin: 24mm 18mm 22mm 18mm; } "
        "html { font-family: Arial, 'Liberation Sans', Helvetica, sans-serif; font-size: 10pt; }</style>"
        f"</head><body>{body}</body></html>"
    )


def plain_pdf(pages: int) -> bytes:
    from weasyprint import HTML

    return HTML(string=plain_html(pages)).write_pdf()


def _best_cpu(function, runs=3) -> float:
    """The best CPU seconds of ``runs``: on a shared machine wall time measures the
    neighbours too, so the ratio to the plain floor is taken on CPU time."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        function()
        times.append(time.process_time() - started)
    return min(times)


def _tagged_against_untagged(name: str, term) -> dict:
    """Issue 14: the tagged PDF/UA render (reporting.pdf.write) against WeasyPrint's plain,
    untagged one of the same HTML, layout and writing both, CPU time, best of three."""
    from reporting import pdf

    html = getattr(pdf, f"{name}_report_html")(term)
    untagged = _best_cpu(lambda: pdf.document(html).write_pdf())
    tagged = _best_cpu(lambda: pdf.write(pdf.document(html)))
    return {
        "untagged_cpu": untagged,
        "tagged_cpu": tagged,
        "tagged_ratio": tagged / untagged,
        "untagged_kib": len(pdf.document(html).write_pdf()) / 1024,
    }


def measure_pdfs(term) -> dict:
    from pypdf import PdfReader

    functions = pdf_functions()
    if functions is None:
        return {}
    functions["board"](term)  # WeasyPrint's first document loads its fonts: not the report's time
    results = {}
    for name, function in functions.items():
        data, queries, first, best = _timed(lambda f=function: f(term), runs=3)
        pages = len(PdfReader(io.BytesIO(data)).pages)
        plain_pages = len(PdfReader(io.BytesIO(plain_pdf(pages))).pages)
        if plain_pages != pages:
            raise SystemExit(f"the plain floor made {plain_pages} pages, not {pages}")
        cpu = _best_cpu(lambda f=function: f(term))
        plain_cpu = _best_cpu(lambda n=pages: plain_pdf(n))
        results[name] = {
            "seconds": first,
            "best": best,
            "cpu": cpu,
            "queries": queries,
            "pages": pages,
            "kib": len(data) / 1024,
            "mib": _peak_mib(lambda f=function: f(term)),
            "plain_cpu": plain_cpu,
            "plain_mib": _peak_mib(lambda n=pages: plain_pdf(n)),
            "ratio": cpu / plain_cpu,
            **_tagged_against_untagged(name, term),
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
                (
                    f"(c) {title}: wall, first / best (s)",
                    f"{a['seconds']:.2f} / {a['best']:.2f}",
                    f"{b['seconds']:.2f} / {b['best']:.2f}",
                ),
                (f"(c) {title}: CPU, best (s)", f"{a['cpu']:.2f}", f"{b['cpu']:.2f}"),
                (f"(c) {title}: plain floor CPU (s)", f"{a['plain_cpu']:.3f}", f"{b['plain_cpu']:.3f}"),
                (f"(c) {title}: x plain floor (CPU)", f"{a['ratio']:.1f}", f"{b['ratio']:.1f}"),
                (f"(c) {title}: queries", a["queries"], b["queries"]),
                (f"(c) {title}: pages", a["pages"], b["pages"]),
                (f"(c) {title}: KiB", f"{a['kib']:.0f}", f"{b['kib']:.0f}"),
                (f"(c) {title}: peak MiB", f"{a['mib']:.1f}", f"{b['mib']:.1f}"),
                (f"(c) {title}: plain peak MiB", f"{a['plain_mib']:.1f}", f"{b['plain_mib']:.1f}"),
                (
                    f"(c) {title}: tagged / untagged CPU",
                    f"{a['tagged_ratio']:.2f}",
                    f"{b['tagged_ratio']:.2f}",
                ),
                (
                    f"(c) {title}: untagged KiB",
                    f"{a['untagged_kib']:.0f}",
                    f"{b['untagged_kib']:.0f}",
                ),
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
    if has_pdf:
        ratio = large["pdfs"]["board"]["ratio"]
        print(
            f"The board PDF takes {ratio:.1f}x WeasyPrint's plain floor of the same page count in CPU time "
            f"({large['pdfs']['board']['pages']} pages; the target is at most {BOARD_TARGET_RATIO}x)"
            + ("." if ratio <= BOARD_TARGET_RATIO else ": OVER THE TARGET.")
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
    temp = authority.setup_django(args)
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
