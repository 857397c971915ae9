"""Benchmark: importing the largest authority's case-management and ePEP exports.

    .venv/bin/python bench/imports.py [--children 2000 --years 10 --officers 25 --texts --xlsx]

Writes two export files (streamed to /tmp, never held in memory): the children
(2,000 rows, SSDA903-like headings) and ten years of PEPs (2,000 children x 30 terms =
60,000 rows, ePEP-like headings: term, status, meeting dates, attendees, PP+,
attendance, ePEP reference and link; with --texts also the section texts, which makes
the file about 50 MB, over the default IMPORT_MAX_BYTES, so the limit is raised for
the run). The staff and schools are made with bulk inserts; the import makes the terms.

It then imports, through imports.services exactly as the page and the command do:

1. the children: preview, apply;
2. the PEPs: preview, apply (60,000 new PEPs, 98% of the past terms' and half of this
   term's complete in the ePEP, so submitted for QA with a status change each; this
   term's samples topped up);
3. the same PEP file again: preview, apply (everything unchanged, nothing written);
4. a later export: the same file with this term's drafts now complete (one row in
   three of the latest term): preview, apply;

printing for each the wall time and the number of database queries (counted with an
execute wrapper). Then the peak Python memory (tracemalloc, in separate runs so tracing
does not slow the timed ones) of previewing the PEP file and a tenth of it, and of
applying the later export: the peak must not grow with the file. The script exits
non-zero if queries grow per row, if the second import changes anything, or if the
60,000 rows take a minute or more to preview plus apply.

Database: DATABASE_URL; unset, a temporary SQLite file. On PostgreSQL use a database
of its own (it is migrated and filled; --flush empties it first):

    createdb -h 127.0.0.1 -U postgres hvs_qa_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hvs_qa_bench .venv/bin/python bench/imports.py --flush
"""

import argparse
import csv
import os
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# This file is bench/imports.py: keep `import imports` pointing at the app, not at us.
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

from bench import authority  # noqa: E402 - after the path fix

SEASONS = ["autumn", "spring", "summer"]
CHILD_HEADINGS = [
    "CHILD",
    "UPN",
    "Forename",
    "Surname",
    "DOB",
    "URN",
    "DECOM",
    "SEN",
    "EHCP",
    "VS officer",
    "SW name",
    "SW e-mail",
    "SW team",
    "DT name",
    "DT e-mail",
]
PEP_HEADINGS = [
    "LA child ID",
    "PEP term",
    "PEP ID",
    "Status",
    "VS officer",
    "PEP meeting date",
    "Next PEP date",
    "Attendees",
    "SW section complete",
    "PP+ requested",
    "PP+ amount",
    "Attendance (%)",
    "Completed date",
    "Link to PEP",
]
TEXT_HEADINGS = ["Pupil voice", "Education summary", "Attainment", "SMART targets", "Aspirations"]
LOREM = (
    "I like maths when we work in groups and my form tutor helps me. Reading out loud is hard. "
    "I want to stay at this school because my friends are here; I would like more help with science."
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=2000)
    parser.add_argument("--years", type=int, default=10, help="years of PEPs (three terms a year)")
    parser.add_argument("--officers", type=int, default=25)
    parser.add_argument("--texts", action="store_true", help="add the PEPs' section texts (a ~50 MB file)")
    parser.add_argument("--xlsx", action="store_true", help="the PEP exports as XLSX workbooks, not CSV")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--flush", action="store_true", help="empty the database's school data first")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="seconds allowed for previewing plus applying the PEP file (default 60)",
    )
    return parser.parse_args(argv)


def setup_django() -> Path | None:
    temp = None
    if not os.environ.get("DATABASE_URL"):
        fd, name = tempfile.mkstemp(prefix="hvs_qa_bench_", suffix=".sqlite3", dir="/tmp")
        os.close(fd)
        temp = Path(name)
        os.environ["DATABASE_URL"] = f"sqlite:///{temp}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hvs_qa.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # DEBUG off: Django's query log would hold the (large) bulk queries and skew the memory.
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    media = tempfile.mkdtemp(prefix="hvs_qa_bench_media_", dir="/tmp")
    os.environ["MEDIA_ROOT"] = media
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return temp


def wipe() -> None:
    """The sampling benchmark's wipe, then what imports add: the imports and the schools."""
    from imports.models import ImportRowChange, ImportRowError, ImportRun, ImportSource

    for import_model in (ImportRowChange, ImportRowError, ImportRun, ImportSource):
        import_model.objects.all()._raw_delete(import_model.objects.db)
    authority.wipe_all()


def build_staff_and_schools(officers: int, schools: int = 166) -> dict:
    from accounts.models import User
    from core.vocabulary import Role
    from peps.models import School

    head = User.objects.create(
        username="bench-vsh",
        role=Role.VSH,
        first_name="Head",
        last_name="Teacher",
        email="vsh@bench.example.org",
        password="!",
    )
    managers = User.objects.bulk_create(
        User(
            username=f"bench-manager{n}",
            role=Role.MANAGER,
            first_name="Manager",
            last_name=str(n),
            email=f"manager{n}@bench.example.org",
            password="!",
            line_manager=head,
        )
        for n in range(4)
    )
    team = User.objects.bulk_create(
        User(
            username=f"bench-officer{n}",
            role=Role.OFFICER,
            first_name="Officer",
            last_name=str(n),
            email=f"officer{n}@bench.example.org",
            password="!",
            line_manager=managers[n % 4],
            start_date=date(2015, 1, 1),
        )
        for n in range(officers)
    )
    created = School.objects.bulk_create(School(name=f"Bench school {n}", urn=str(100000 + n)) for n in range(schools))
    return {"officers": [u.username for u in team], "urns": [s.urn for s in created], "head": head}


def _uk(day) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def write_children(path: Path, rng, children: int, officers: list[str], urns: list[str], this_year: int) -> list:
    """The children file; returns (reference, date of birth, officer) per child."""
    from stdnum.gb import upn

    kids = []
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(CHILD_HEADINGS)
        for n in range(children):
            # Year 8 to 13 now: at school (or nursery) in each of the ten years of PEPs.
            year_group = rng.randint(8, 13)
            cohort = this_year - 5 - year_group
            birth = date(cohort, 9, 1) + timedelta(days=rng.randint(0, 364))
            body = f"312{rng.randint(2000, 7999)}{(cohort + 5) % 100:02d}{n % 1000:03d}"
            officer = officers[n % len(officers)]
            send = rng.choices("NKE", [70, 20, 10])[0]
            sw = n % 100
            writer.writerow(
                [
                    f"B-{n:06d}",
                    upn.calc_check_digit(body) + body,
                    "Child",
                    f"{n:06d}",
                    _uk(birth),
                    urns[n % len(urns)],
                    _uk(birth + timedelta(days=400)),
                    send,
                    "Yes" if send == "E" else "No",
                    officer,
                    f"Social Worker {sw}",
                    f"sw{sw}@bench.example.org",
                    f"Team {sw % 4}",
                    f"Teacher {n % len(urns)}",
                    f"dt{n % len(urns)}@bench.example.org",
                ]
            )
            kids.append((f"B-{n:06d}", birth, officer))
    return kids


def term_keys(years: int, today: date) -> list[tuple[int, str]]:
    this_year = today.year if today.month >= 9 else today.year - 1
    season = "autumn" if today.month >= 9 else "spring" if today.month <= 3 else "summer"
    keys = [(this_year, season)]
    while len(keys) < 3 * years:
        year, season = keys[0]
        index = SEASONS.index(season)
        keys.insert(0, (year - 1, SEASONS[2]) if index == 0 else (year, SEASONS[index - 1]))
    return keys


def write_peps(
    path: Path,
    seed: int,
    kids: list,
    keys: list,
    officers: list[str],
    *,
    texts: bool,
    latest_complete: bool,
    limit: int | None = None,
) -> int:
    """The ePEP file, row by row (the same rows for the same seed). `latest_complete`: the
    later export, in which the latest term's drafts are complete."""
    from core.vocabulary import term_label

    rng = random.Random(seed)
    rows = 0
    latest = keys[-1]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(PEP_HEADINGS + (TEXT_HEADINGS if texts else []))
        for year, season in keys:
            start = {"autumn": date(year, 9, 1), "spring": date(year + 1, 1, 1), "summer": date(year + 1, 4, 1)}[season]
            for index, (reference, _birth, officer) in enumerate(kids):
                if limit is not None and rows >= limit:
                    return rows
                is_latest = (year, season) == latest
                draft = rng.random() < (0.5 if is_latest else 0.02)
                if draft and latest_complete and is_latest and index % 3 == 0:
                    draft = False
                met = start + timedelta(days=rng.randint(10, 40))
                attendees = [
                    who for who, p in (("SW", 0.85), ("DT", 0.95), ("Child", 0.6), ("Carer", 0.75)) if rng.random() < p
                ]
                pp = rng.random() < 0.6
                row = [
                    reference,
                    term_label(season, year),
                    f"EP-{year}{season[:2]}{index:05d}",
                    "In progress" if draft else "Complete",
                    officer if rng.random() >= 0.1 else officers[rng.randrange(len(officers))],
                    _uk(met),
                    _uk(met + timedelta(weeks=13)),
                    "; ".join(attendees),
                    "Yes" if rng.random() < 0.9 else "No",
                    "Yes" if pp else "No",
                    f"£{rng.randrange(300, 1501, 50):,}.00" if pp else "",
                    f"{round(rng.triangular(60, 100, 95), 1)}",
                    "" if draft else _uk(met + timedelta(days=3)),
                    f"https://epep.example.com/pep/EP-{year}{season[:2]}{index:05d}",
                ]
                if texts:
                    row += [LOREM, LOREM, LOREM[:120], LOREM, LOREM[:90]]
                writer.writerow(row)
                rows += 1
    return rows


def to_xlsx(path: Path) -> Path:
    """The CSV as an XLSX workbook of one sheet (openpyxl's write-only mode: streamed)."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("PEPs")
    with path.open(newline="", encoding="utf-8") as rows:
        for row in csv.reader(rows):
            sheet.append(row)
    target = path.with_suffix(".xlsx")
    workbook.save(target)
    return target


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed(label: str, action):
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - started
    return {"step": label, "seconds": seconds, "queries": counter.count, "result": result}


def traced(action) -> float:
    tracemalloc.start()
    try:
        action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / (1024 * 1024)


def main(argv=None) -> int:
    args = parse_args(argv)
    temp = setup_django()
    work = Path(tempfile.mkdtemp(prefix="hvs_qa_bench_files_", dir="/tmp"))
    try:
        return run(args, work)
    finally:
        if temp:
            temp.unlink(missing_ok=True)
        # The export files and the imports' stored copies of them.
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(os.environ["MEDIA_ROOT"], ignore_errors=True)


def run(args, work: Path) -> int:
    from django.conf import settings
    from django.db import connection

    from imports import services
    from imports.models import ImportStatus
    from peps.models import Child, Pep, PepStatusChange, Term

    if args.flush:
        wipe()
    elif Term.objects.exists() or Pep.objects.exists() or Child.objects.exists():
        print("The database already holds children, terms or PEPs: pass --flush to empty it (never a real one).")
        return 2
    rng = random.Random(args.seed)
    today = date.today()
    this_year = today.year if today.month >= 9 else today.year - 1
    staff = build_staff_and_schools(args.officers)
    kids = write_children(work / "children.csv", rng, args.children, staff["officers"], staff["urns"], this_year)
    keys = term_keys(args.years, today)
    peps_file, later_file, tenth_file = work / "peps.csv", work / "peps-later.csv", work / "peps-tenth.csv"
    started = time.perf_counter()
    rows = write_peps(peps_file, args.seed, kids, keys, staff["officers"], texts=args.texts, latest_complete=False)
    write_peps(later_file, args.seed, kids, keys, staff["officers"], texts=args.texts, latest_complete=True)
    write_peps(
        tenth_file, args.seed, kids, keys, staff["officers"], texts=args.texts, latest_complete=False, limit=rows // 10
    )
    if args.xlsx:
        peps_file, later_file, tenth_file = (to_xlsx(path) for path in (peps_file, later_file, tenth_file))
    size = peps_file.stat().st_size
    print(
        f"{connection.vendor}: {args.children:,} children, {len(keys)} terms, {rows:,} PEP rows "
        f"({'XLSX, ' if args.xlsx else ''}{size / 2**20:.1f} MiB{', with section texts' if args.texts else ''}); "
        f"files written in "
        f"{time.perf_counter() - started:.1f} s"
    )
    if size > settings.IMPORT_MAX_BYTES:
        settings.IMPORT_MAX_BYTES = size + 1
        print(f"(IMPORT_MAX_BYTES raised to {size / 2**20:.0f} MiB for the run)")

    def preview(kind, path):
        def action():
            with path.open("rb") as upload:
                return services.preview_import(kind, upload, source="Bench", file_name=path.name)

        return action

    results, failures = [], []

    def step(label, kind, path, expect=None):
        shown = timed(f"{label}: preview", preview(kind, path))
        run = shown["result"]
        if run.status != ImportStatus.PREVIEWED or run.errors:
            failures.append(f"{label}: {run.status} {run.message} {list(run.row_errors.all()[:3])}")
            return None, None
        applied = timed(f"{label}: apply", lambda: services.apply_import(run))
        if applied["result"].status != ImportStatus.APPLIED:
            failures.append(f"{label}: apply {applied['result'].status}: {applied['result'].message}")
        for measured in (shown, applied):
            r = measured["result"]
            measured["counts"] = f"{r.new:,} new, {r.changed:,} changed, {r.unchanged:,} unchanged"
            results.append(measured)
        if expect and (run.new, run.changed) != expect:
            failures.append(f"{label}: expected (new, changed) {expect}, got {(run.new, run.changed)}")
        return shown, applied

    step("children", "children", work / "children.csv")
    changes_before = PepStatusChange.objects.count()
    first = step("PEPs, first import", "peps", peps_file)
    changes_after = PepStatusChange.objects.count()
    again = step("PEPs, same file again", "peps", peps_file, expect=(0, 0))
    if PepStatusChange.objects.count() != changes_after:
        failures.append("the second import recorded status changes")
    later = step("PEPs, later export", "peps", later_file)

    print()
    print(f"{'step':<32} {'time':>9} {'queries':>8}  rows")
    for measured in results:
        print(f"{measured['step']:<32} {measured['seconds']:>8.1f}s {measured['queries']:>8}  {measured['counts']}")
    print(f"status changes recorded by the first PEP import: {changes_after - changes_before:,}")
    if first[0]:
        total = first[0]["seconds"] + first[1]["seconds"]
        print(f"first PEP import, preview + apply: {total:.1f} s ({rows / total:,.0f} rows a second)")
        if total >= args.budget:
            failures.append(f"the first PEP import took {total:.1f} s (budget {args.budget:.0f} s)")
    # Queries must not grow per row: the same file unchanged reads in a handful of queries
    # a 2,000-row chunk.
    if again[0]:
        per_chunk = again[0]["queries"] / max(1, rows / 2000)
        print(f"unchanged preview: {again[0]['queries']} queries for {rows:,} rows ({per_chunk:.1f} a 2,000-row chunk)")
        if again[0]["queries"] > 10 + 3 * (rows // 2000 + 1):
            failures.append("queries grow per row")

    if not args.no_memory:
        print()
        large = traced(preview("peps", peps_file))
        small = traced(preview("peps", tenth_file))
        print(
            f"peak Python memory, preview: {small:.1f} MiB for {rows // 10:,} rows, {large:.1f} MiB for {rows:,} rows"
        )
        if later[0]:

            def apply_later():
                with later_file.open("rb") as upload:
                    run = services.preview_import("peps", upload, source="Bench", file_name="again.csv")
                services.apply_import(run)

            print(f"peak Python memory, preview + apply of the later export again: {traced(apply_later):.1f} MiB")
        if large > 3 * small + 20:
            failures.append("memory grows with the file")

    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
