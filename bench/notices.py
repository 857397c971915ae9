"""Benchmark: returning 1,000 PEPs in one term, and delivering their messages.

    .venv/bin/python bench/notices.py [--peps 1000 --officers 25 --managers 4 --smtp-port 0]

Builds one open term with `--peps` children, each with a school, a designated teacher
and a social worker, and a PEP submitted for QA (bulk inserts, for speed). Then:

1. **Returning them**: each PEP is rated Red in every area and submitted by the officer's
   line manager through `reviews.services` (`start_review`, `save_review`), as the rating
   page does: the PEP is returned, its amendment opened, and the message to the DT and SW
   (copy to the officer) written to the outbox inside the review's transaction. It prints
   the time of the returns and, within it, of `notices.outbox.queue_message` (the outbox's
   share of each review's transaction), in total and per message, with their queries.
   Deliveries are held back meanwhile (the after-commit hook only counts them), so the
   two are timed apart.
2. **Delivering them**: a local SMTP server (aiosmtpd, in a process of its own, counting
   what it accepts) receives them through Django's SMTP backend: `notices.delivery.
   deliver_due()`, what the worker's task runs, sends all of them: total, per message,
   messages a second, queries per message. Then all again (requeued) with two deliveries
   at once (two threads, each its own database connection), to show the claims share the
   work out and nothing goes twice. The script fails if the server did not get each message
   exactly once.

Database: DATABASE_URL (PostgreSQL; the figures in bench/README.md are on it); unset, a
temporary SQLite file (two deliveries at once need PostgreSQL and are skipped there). Use
a database of its own, which the benchmark migrates and fills, and with --flush empties
first (it refuses a database that holds terms):

    createdb -h 127.0.0.1 -U postgres hvs_qa_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hvs_qa_bench .venv/bin/python bench/notices.py
"""

import argparse
import multiprocessing
import os
import re
import socket
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# This file is bench/notices.py: keep `import notices` pointing at the app, not at us.
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

from bench import authority  # noqa: E402 - after the path fix

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.I | re.M)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peps", type=int, default=1000, help="PEPs returned (one a child)")
    parser.add_argument("--officers", type=int, default=25)
    parser.add_argument("--managers", type=int, default=4)
    parser.add_argument("--smtp-port", type=int, default=0, help="the local SMTP server's port (0: any free one)")
    parser.add_argument("--flush", action="store_true", help="empty the database's school data first")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
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
    # DEBUG off: Django's query log is not kept (the queries are counted with a wrapper).
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    # Tasks in-process (the deliveries are started by hand here, not by a worker).
    os.environ["REDIS_URL"] = ""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return temp


# The sampling benchmark's wipe (which empties the outbox and amendments first), then the
# schools, designated teachers and social workers this one adds.
wipe = authority.wipe_all


def build(*, peps: int, officers: int, managers: int):
    """One open term, its children (school, DT, SW) and their PEPs submitted for QA."""
    from django.db import transaction

    from accounts.models import User
    from core.vocabulary import Phase, Role
    from peps.models import Child, DesignatedTeacher, Pep, School, SocialCareTeam, SocialWorker, Term

    today = date.today()
    with transaction.atomic():
        term = Term.objects.create(
            academic_year=today.year if today.month >= 9 else today.year - 1,
            season="autumn" if today.month >= 9 else "spring" if today.month <= 3 else "summer",
            start_date=today - timedelta(days=40),
            end_date=today + timedelta(days=60),
            pep_deadline=today - timedelta(days=10),
        )
        head = User.objects.create(username="bench-vsh", role=Role.VSH, email="vsh@bench.example.org", password="!")
        bosses = User.objects.bulk_create(
            User(
                username=f"bench-manager{n}",
                role=Role.MANAGER,
                first_name="Manager",
                last_name=str(n),
                email=f"manager{n}@bench.example.org",
                password="!",
                line_manager=head,
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
            )
            for n in range(officers)
        )
        schools = School.objects.bulk_create(
            School(name=f"Bench school {n:03d}", urn=f"{900000 + n}", local_authority="Benchshire")
            for n in range(max(5, peps // 12))
        )
        teachers = DesignatedTeacher.objects.bulk_create(
            DesignatedTeacher(name=f"Designated teacher {n:03d}", email=f"dt{n}@bench-school.example.org", school=s)
            for n, s in enumerate(schools)
        )
        teams = SocialCareTeam.objects.bulk_create(
            SocialCareTeam(name=f"{name} team", manager_email=f"{name.lower()}@bench.example.org")
            for name in ("North", "South", "East", "West")
        )
        workers = SocialWorker.objects.bulk_create(
            SocialWorker(name=f"Social worker {n:03d}", email=f"sw{n}@bench.example.org", team=teams[n % 4])
            for n in range(max(4, peps // 20))
        )
        kids = Child.objects.bulk_create(
            (
                Child(
                    la_reference=f"N-{n:06d}",
                    first_name="Child",
                    last_name=f"{n:06d}",
                    date_of_birth=date(2015, 1, 1),
                    year_group=5,
                    allocated_officer=team[n % officers],
                    school=schools[n % len(schools)],
                    designated_teacher=teachers[n % len(schools)],
                    social_worker=workers[n % len(workers)],
                )
                for n in range(peps)
            ),
            batch_size=2000,
        )
        Pep.objects.bulk_create(
            (
                Pep(
                    child=kid,
                    term=term,
                    officer=kid.allocated_officer,
                    phase=Phase.SSA,
                    year_group=5,
                    status="submitted",
                    meeting_date=term.start_date + timedelta(days=10),
                    date_completed=term.start_date + timedelta(days=10),
                )
                for kid in kids
            ),
            batch_size=2000,
        )
    return term


class QueryCounter:
    """Counts the queries run while it is on (a connection execute wrapper)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def return_all(term) -> dict:
    """Rate each PEP Red and submit the review: through reviews.services, timing the outbox."""
    from django.db import connection

    from notices import outbox
    from peps.models import Pep
    from reviews import amendments
    from reviews.services import AreaInput, save_review, start_review

    real_queue, real_start = outbox.queue_message, outbox.start_delivery
    spent = {"seconds": 0.0, "queries": 0, "messages": 0}
    held = []

    def timed_queue(**kwargs):
        counter = QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            notice = real_queue(**kwargs)
        spent["seconds"] += time.perf_counter() - started
        spent["queries"] += counter.count
        spent["messages"] += notice is not None
        return notice

    def hold_delivery():  # what the after-commit hook would start: counted, held back
        held.append(1)

    hold_delivery.is_outbox_delivery = True  # type: ignore[attr-defined]
    amendments.queue_message = timed_queue  # the name reviews.amendments calls
    outbox.start_delivery = hold_delivery  # the name deliver_after_commit puts on the commit
    peps = list(
        Pep.objects.filter(term=term).select_related("officer__line_manager", "child__allocated_officer").order_by("pk")
    )
    counter = QueryCounter()
    started = time.perf_counter()
    try:
        with connection.execute_wrapper(counter):
            for pep in peps:
                assert pep.officer is not None and pep.officer.line_manager is not None
                review = start_review(pep, pep.officer.line_manager)
                areas = {
                    pk: AreaInput(rating="red", comment="Bench: not enough.")
                    for pk in review.area_ratings.values_list("pk", flat=True)
                }
                save_review(review, areas, strengths="", development_points="Bench.", submit=True)
    finally:
        amendments.queue_message = real_queue
        outbox.start_delivery = real_start
    seconds = time.perf_counter() - started
    return {
        "peps": len(peps),
        "seconds": seconds,
        "queries": counter.count,
        "queue_seconds": spent["seconds"],
        "queue_queries": spent["queries"],
        "messages": spent["messages"],
        "deliveries_started": len(held),
    }


# --- the SMTP server, in a process of its own ----------------------------------------------


def _smtp_server(port: int, ready, stop, results) -> None:
    """Accept every message, keeping its Message-ID, until told to stop; then report them."""
    from aiosmtpd.controller import Controller

    ids: list[bytes] = []

    class Counting:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            found = MESSAGE_ID.search(envelope.original_content or envelope.content)
            ids.append(found.group(1) if found else b"")
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    results.put([i.decode() for i in ids])


class SmtpServer:
    def __init__(self, port: int):
        self.port = port or _free_port()
        context = multiprocessing.get_context("spawn")
        self._ready, self._stop, self._results = context.Event(), context.Event(), context.Queue()
        self._process = context.Process(
            target=_smtp_server, args=(self.port, self._ready, self._stop, self._results), daemon=True
        )

    def __enter__(self):
        self._process.start()
        if not self._ready.wait(20):
            raise SystemExit("the SMTP server did not start")
        return self

    def received(self) -> list[str]:
        """Stop the server and return the Message-IDs it accepted, in order."""
        self._stop.set()
        ids = self._results.get(timeout=30)
        self._process.join(10)
        return ids

    def __exit__(self, *exc):
        if self._process.is_alive():
            self._process.terminate()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _point_mail_at(port: int) -> None:
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


def deliver(port: int, parallel: int) -> dict:
    """Deliver everything due to a fresh SMTP server with ``parallel`` deliveries at once."""
    from django.db import connection, connections

    from notices.delivery import DeliveryResult, deliver_due

    with SmtpServer(port) as server:
        _point_mail_at(server.port)
        results: list[DeliveryResult] = []
        counters = [QueryCounter() for _ in range(parallel)]
        errors: list[BaseException] = []

        def one(counter):
            try:
                with connection.execute_wrapper(counter):
                    results.append(deliver_due())
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                if parallel > 1:
                    connections.close_all()  # this thread's connection

        started = time.perf_counter()
        if parallel == 1:
            one(counters[0])
        else:
            threads = [threading.Thread(target=one, args=(c,)) for c in counters]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        seconds = time.perf_counter() - started
        received = server.received()
    if errors:
        raise errors[0]
    return {
        "seconds": seconds,
        "sent": [r.sent for r in results],
        "not_sent": sum(r.retrying + r.failed for r in results),
        "queries": sum(c.count for c in counters),
        "received": received,
    }


def _requeue_all() -> None:
    from post_office.models import STATUS, Email, Log

    Log.objects.all().delete()
    Email.objects.update(status=STATUS.queued, scheduled_time=None, number_of_retries=None)


def check_once(run: dict, expected_ids: set[str], label: str) -> None:
    received = run["received"]
    if len(received) != len(expected_ids) or set(received) != expected_ids or run["not_sent"]:
        sys.exit(
            f"{label}: the server got {len(received)} messages ({len(set(received))} different) "
            f"of {len(expected_ids)}, {run['not_sent']} not sent"
        )


def run(args) -> None:
    from django.db import connection
    from post_office.models import STATUS, Email

    from peps.models import PepStatus, Term

    if Term.objects.exists():
        if not args.flush:
            sys.exit("The database already holds terms: use an empty database, or --flush to empty it.")
        wipe()
    vendor = connection.vendor
    print(f"Database: {vendor} ({connection.settings_dict['NAME']})")
    started = time.perf_counter()
    term = build(peps=args.peps, officers=args.officers, managers=args.managers)
    built = time.perf_counter() - started
    print(f"built {args.peps} children and submitted PEPs, {args.officers} officers in {built:.1f} s")

    returned = return_all(term)
    assert term.peps.filter(status=PepStatus.RETURNED).count() == returned["peps"], "not every PEP was returned"
    assert returned["messages"] == returned["peps"] == Email.objects.filter(status=STATUS.queued).count()
    expected_ids = set(Email.objects.values_list("message_id", flat=True))
    print(
        f"returned {returned['peps']} PEPs in {returned['seconds']:.1f} s; {returned['messages']} messages queued, "
        f"{returned['deliveries_started']} deliveries started after the commits (held back)"
    )

    one = deliver(args.smtp_port, parallel=1)
    check_once(one, expected_ids, "one delivery")
    two = None
    if vendor == "postgresql":
        _requeue_all()
        two = deliver(args.smtp_port, parallel=2)
        check_once(two, expected_ids, "two deliveries at once")

    n, per_pep = returned["messages"], returned["seconds"] / returned["peps"]
    queue_share = 100 * returned["queue_seconds"] / returned["seconds"]
    rows = [
        ("PEPs returned (rated Red, submitted)", f"{returned['peps']:,}"),
        ("returns: total", f"{returned['seconds']:.1f} s"),
        (
            "returns: per PEP",
            f"{1000 * per_pep:.1f} ms, {returned['queries'] / returned['peps']:.0f} queries",
        ),
        (
            "queueing the messages: total",
            f"{returned['queue_seconds']:.2f} s ({queue_share:.0f}% of the returns)",
        ),
        (
            "queueing: per message",
            f"{1000 * returned['queue_seconds'] / n:.2f} ms, {returned['queue_queries'] / n:.0f} queries",
        ),
        ("delivering (one delivery): total", f"{one['seconds']:.1f} s"),
        ("delivering: per message", f"{1000 * one['seconds'] / n:.1f} ms, {one['queries'] / n:.1f} queries"),
        ("delivering: messages/s", f"{n / one['seconds']:.0f}"),
    ]
    if two is not None:
        rows += [
            (
                "two deliveries at once: total",
                f"{two['seconds']:.1f} s ({' + '.join(str(s) for s in two['sent'])} sent)",
            ),
            ("two deliveries at once: messages/s", f"{n / two['seconds']:.0f}"),
        ]
    print()
    print(f"Returning {returned['peps']:,} PEPs in one term and delivering their messages ({vendor})")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print()
    print(f"The SMTP server got each of the {n:,} messages exactly once" + (", in both runs." if two else "."))


def main(argv=None) -> None:
    args = parse_args(argv)
    temp = setup_django()
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
