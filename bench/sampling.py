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
import sys
import time
import tracemalloc
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# This file is bench/sampling.py: keep `import sampling` pointing at the app, not at us.
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

from bench.authority import build_authority, setup_django, wipe  # noqa: E402 - after the path fix


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
