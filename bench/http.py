"""Benchmark: every page over HTTP, served by gunicorn with production settings on PostgreSQL,
against a bare one-query view in the same run (issue 12).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hvs_httpbench bench/run http [ARGS]
    bench/run http --reuse                    # measure the database as it is (no rebuild)
    bench/run http --years 1 --json 1y.json   # then: bench/run http --compare 10y.json 1y.json

1. The authority: bench/authority.py's builder with the reports' extras (2,000 children,
   ten years: 60,000 PEPs, 141,520 area ratings), unless --reuse. Then, every run: the
   bench users get a password and a second factor (below), bench-manager0 gets a draft
   review to rate, and the database is ANALYZEd.
2. gunicorn with the project's gunicorn.conf.py, DEBUG=0, a SECRET_KEY, ALLOWED_HOSTS and
   the settings bench/http_settings.py: the app's, plus the bare view (``SELECT 1`` behind
   the same middleware) and a query-counting middleware (bench/http_site.py). Requests say
   they came through the TLS proxy (X-Forwarded-Proto: https, as SECURE_PROXY_SSL_HEADER
   expects), so SECURE_SSL_REDIRECT and the secure cookies stay as in production.
3. Each role signs in over HTTP as a person does: /login/ (username, password), then the
   second factor at /second-factor/. OTP_REQUIRED stays on: each bench user has a
   confirmed authenticator device and a set of recovery codes the bench knows (a recovery
   code is a production way in, typed where the app's code goes; a TOTP code would do but
   works once per 30 s, and the concurrent run signs some users in twice).
4. Every page: the first request (cold) apart; then the page and the bare view in turn
   (A B A B ...), --repeat times: p50, p95, and p95 over the bare view's p95 in the same
   run; the queries of one more request (counted in the server); the HTTP status.
5. The ratings export's rate (rows a second: the median of seven downloads, over the whole
   request and over the time beyond the bare view's), the board PDF through request ->
   status -> download against WeasyPrint's floor (plain paragraphs, the same number of
   pages), and --users users at once for --seconds with no pause between pages (then the
   bare view alone, the same way; --concurrent-only for that alone, to compare gunicorn's
   --workers and --threads), then the same users for twice as long, each reading a page for
   0 to 2 x --think seconds before the next, as people do.

It measures; it does not fail on a target missed (exit 0), only when it cannot run.
"""

import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# This file is bench/http.py: keep `import http` pointing at the standard library, not at us.
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

import argparse  # noqa: E402 - after the path fix
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from http.cookies import SimpleCookie  # noqa: E402
from urllib.parse import urlencode, urlsplit  # noqa: E402

PASSWORD = "bench-Correct-Horse-Battery-Staple-42"  # noqa: S105 - the bench users' only
ROLE_USERS = {
    "officer": "bench-officer0",
    "manager": "bench-manager0",
    "lead": "bench-lead0",
    "vsh": "bench-vsh",
    "administrator": "bench-admin",
}
TOKENS_PER_USER = 40
INTERACTIVE_TARGET = 10.0  # p95 within 10x the bare view's
YEARS_TARGET = 1.5  # ten years' p95 within 1.5x one year's
CONCURRENT_P95_TARGET_MS = 1000.0
EXPORT_RATE_TARGET = 50_000  # rows a second
PDF_TARGET = 10.0  # the board PDF within 10x WeasyPrint's floor
CUT_OFF = 599  # the status recorded for a request that got no answer
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=2000)
    parser.add_argument("--years", type=int, default=10, help="years of PEP history (3 terms a year)")
    parser.add_argument("--officers", type=int, default=25)
    parser.add_argument("--managers", type=int, default=4)
    parser.add_argument("--reviewed", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reuse", action="store_true", help="measure the database as it is, without building")
    parser.add_argument("--flush", action="store_true", help="empty the database's school data first")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_HTTP_PORT", "8310")))
    parser.add_argument("--workers", type=int, help="gunicorn processes (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="threads a process (default: gunicorn.conf.py's)")
    parser.add_argument("--repeat", type=int, default=20, help="warm requests a page (downloads: a quarter)")
    parser.add_argument("--pages", help="only the pages whose name contains one of these (comma-separated)")
    parser.add_argument("--users", type=int, default=50, help="users at once in the concurrent run (0: none)")
    parser.add_argument("--seconds", type=float, default=25, help="length of the concurrent run")
    parser.add_argument(
        "--think",
        type=float,
        default=3.0,
        help="mean seconds a user reads a page in the second concurrent run (0: that run skipped)",
    )
    parser.add_argument("--no-pdf", action="store_true", help="skip the board PDF and its floor")
    parser.add_argument(
        "--concurrent-only", action="store_true", help="only the concurrent run (to compare gunicorn configurations)"
    )
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"), help="print two runs side by side")
    return parser.parse_args(argv)


# --- A small HTTP client (the standard library's; no redirects followed, every request timed) --


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Client:
    """One browser: its cookies, and the headers the TLS-terminating proxy would add. A new
    connection each request, for the page and the bare view alike."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.port = port
        self.host = f"{host}:{port}"
        self.origin = f"https://{self.host}"
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, data=None, headers=None, tag: str = "") -> Response:
        body = urlencode(data, doseq=True).encode() if data is not None else None
        sent = {
            "Host": self.host,
            "X-Forwarded-Proto": "https",
            "Referer": self.origin + "/",
            "User-Agent": "hvs-qa bench/http.py",
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            sent.update(
                {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin, "X-CSRFToken": self.csrf}
            )
        if tag:
            sent["X-Bench-Queries"] = tag
        sent.update(headers or {})
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            connection.request(method, path, body, sent)
            answer = connection.getresponse()
            content = answer.read()
        except (OSError, http.client.HTTPException):
            # Cut off (a worker killed at gunicorn's timeout, say): counted as status 599.
            return Response(CUT_OFF, {}, b"", time.perf_counter() - started)
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        for line in answer.msg.get_all("Set-Cookie") or []:
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(line)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, content, seconds)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> Response:
        return self.request("POST", path, data={"csrfmiddlewaretoken": self.csrf, **data}, **kwargs)

    def take_csrf(self, response: Response) -> None:
        found = CSRF_INPUT.search(response.body)
        if found:
            self.csrf = found.group(1).decode()

    def sign_in(self, username: str, code: str) -> None:
        """The sign-in page, then the second factor, as a person does."""
        self.take_csrf(self.get("/login/"))
        answer = self.post("/login/", {"username": username, "password": PASSWORD, "submit": "Sign in"})
        if answer.status != 302:
            raise SystemExit(f"{username}: signing in answered {answer.status}")
        # The start page sends a user without their second factor yet to it.
        step_path = answer.location
        for _ in range(5):
            split = urlsplit(step_path)
            step_path = split.path + (f"?{split.query}" if split.query else "")
            page = self.get(step_path)
            if page.status != 302:
                break
            step_path = page.location
        if page.status != 200 or not step_path.startswith("/second-factor/"):
            raise SystemExit(f"{username}: expected the second-factor page, got {page.status} at {step_path}")
        self.take_csrf(page)
        answer = self.post(step_path, {"code": code, "next": "/", "submit": "Continue"})
        if answer.status != 302:
            raise SystemExit(f"{username}: the second factor answered {answer.status} at {step_path}")
        home = self.get("/")
        if home.status != 200:
            raise SystemExit(f"{username}: the start page answered {home.status} after signing in")
        self.take_csrf(home)


# --- Figures ------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the value `share` of the values are at or below."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-int(share * 100) * len(ordered) // 100))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Page:
    name: str
    role: str
    path: str
    method: str = "GET"
    data: dict | None = None
    headers: dict | None = None
    expect: tuple[int, ...] = (200,)
    download: bool = False
    repeat_share: float = 1.0
    results: dict = field(default_factory=dict)


# --- Setting up: Django in this process, the data, the users ---------------------------------


def server_environment(query_log: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.http_settings",
            "DEBUG": "0",
            "SECRET_KEY": env.get("SECRET_KEY") or "bench-http-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": env.get("LOG_LEVEL", "WARNING"),
            # Without Redis the board report is built in the request (Celery's eager mode);
            # with REDIS_URL set, a worker on it must be running.
            "REDIS_URL": env.get("BENCH_REDIS_URL", ""),
            "BENCH_QUERY_LOG": query_log,
            "PYTHONPATH": str(BASE_DIR),
        }
    )
    return env


def setup_django(env: dict[str, str]) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "bench/http.py measures the app as served in production, on PostgreSQL: set DATABASE_URL to a "
            "database of its own, e.g.\n  createdb -h 127.0.0.1 -U postgres hvs_qa_httpbench\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/hvs_qa_httpbench bench/run http"
        )
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # DEBUG off: every page finds its assets in WhiteNoise's manifest.
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


def build(args) -> dict:
    from bench import authority
    from peps.models import Term

    if Term.objects.exists():
        if not args.flush:
            sys.exit("The database already holds terms: --reuse to measure them, --flush to empty it first.")
        authority.wipe_all()
    return authority.build_reporting_authority(
        children=args.children,
        officers=args.officers,
        managers=args.managers,
        years=args.years,
        reviewed=args.reviewed,
        seed=args.seed,
    )


def prepare(encoded_password: str = "") -> dict:
    """Every run: the bench users' password and second factor (fresh recovery codes), an
    administrator, the manager's draft review, ANALYZE. Returns what the pages need."""
    from axes.models import AccessAttempt
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from accounts.second_factor import APP_DEVICE_NAME, RECOVERY_DEVICE_NAME
    from core.vocabulary import Role
    from peps.models import Pep, PepStatus, Term
    from reviews.models import QaReview
    from reviews.services import start_review

    with transaction.atomic():
        User.objects.get_or_create(
            username=ROLE_USERS["administrator"],
            defaults={"role": Role.ADMINISTRATOR, "first_name": "Admin", "last_name": "Bench"},
        )
        bench = User.objects.filter(username__startswith="bench-")
        bench.update(password=encoded_password or make_password(PASSWORD), is_active=True)
        AccessAttempt.objects.filter(username__startswith="bench-").delete()
        TOTPDevice.objects.filter(user__in=bench).delete()
        StaticDevice.objects.filter(user__in=bench).delete()
        users = list(bench.order_by("username"))
        TOTPDevice.objects.bulk_create(TOTPDevice(user=u, name=APP_DEVICE_NAME, confirmed=True) for u in users)
        devices = StaticDevice.objects.bulk_create(
            StaticDevice(user=u, name=RECOVERY_DEVICE_NAME, confirmed=True) for u in users
        )
        # Letters in every code: the second-factor page takes an all-digit code for the app's.
        tokens = {u.username: [f"b{secrets.token_hex(7)}" for _ in range(TOKENS_PER_USER)] for u in users}
        StaticToken.objects.bulk_create(
            StaticToken(device=d, token=t) for u, d in zip(users, devices, strict=True) for t in tokens[u.username]
        )
        term = Term.objects.current() or Term.objects.order_by("-start_date").first()
        assert term is not None, "no terms: build the authority first"
        manager = User.objects.get(username=ROLE_USERS["manager"])
        draft = QaReview.objects.filter(reviewer=manager, status="draft", pep__term=term).first()
        if draft is None:
            pep = (
                Pep.objects.filter(term=term, status=PepStatus.SUBMITTED, officer__line_manager=manager)
                .exclude(reviews__isnull=False)
                .order_by("pk")
                .first()
            )
            assert pep is not None, "no submitted PEP of the manager's team to rate"
            draft = start_review(pep, manager)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"tokens": tokens, "term": term, "draft": draft}


def pages_for(context: dict) -> list[Page]:
    from django.db.models import Count

    from accounts.models import User
    from peps.models import Pep
    from reviews.models import AreaRating
    from web.peps.filters import PEP_SORTS

    term, draft = context["term"], context["draft"]
    officer = User.objects.get(username=ROLE_USERS["officer"])
    own_pep = Pep.objects.filter(term=term, officer=officer).order_by("pk").first()
    # The VSH's PEP page: a child with the longest QA story.
    deep_pep = (
        Pep.objects.filter(term=term).annotate(n=Count("reviews")).order_by("-n", "pk").first()
        or Pep.objects.filter(term=term).first()
    )
    assert own_pep is not None and deep_pep is not None
    total = Pep.objects.count()
    last_page = max(1, -(-total // 25))
    t = f"term={term.pk}"
    pages = [Page("start page", role, "/") for role in ROLE_USERS]
    pages += [
        Page("PEP list", "officer", "/peps/"),
        Page("PEP list", "manager", "/peps/"),
        Page("PEP list", "vsh", "/peps/"),
        Page("PEP list: this term, submitted", "vsh", f"/peps/?{t}&status=submitted"),
        Page("PEP list: good or better", "vsh", "/peps/?judgement=good"),
        Page("PEP list: an officer", "manager", f"/peps/?officer={officer.pk}"),
        Page("PEP list: searched", "vsh", "SEARCH"),
    ]
    for key in PEP_SORTS:
        pages.append(Page(f"PEP list: sorted by {key}", "vsh", f"/peps/?sort={key}"))
    pages.append(Page("PEP list: sorted by -meeting", "vsh", "/peps/?sort=-meeting"))
    pages += [
        Page("PEP list: middle page", "vsh", f"/peps/?page={last_page // 2}"),
        Page("PEP list: last page", "vsh", f"/peps/?page={last_page}"),
        Page("PEP page", "officer", f"/peps/{own_pep.pk}/"),
        Page("PEP page", "vsh", f"/peps/{deep_pep.pk}/"),
        Page("rating page", "manager", f"/reviews/{draft.pk}/rate/"),
    ]
    ratings = list(AreaRating.objects.filter(review=draft).order_by("area__position").values_list("pk", flat=True))
    # No "version": a form without it is not checked against changes elsewhere, so every
    # save of the loop is a save, not a conflict.
    form = {"strengths": "Bench strengths.", "development_points": "Bench points.", "action": "draft"}
    for n, pk in enumerate(ratings):
        form[f"rating_{pk}"] = ["gold", "green", "amber"][n % 3]
        form[f"comment_{pk}"] = "Bench comment."
    pages += [
        Page("rating save", "manager", f"/reviews/{draft.pk}/rate/", "POST", form, expect=(302,)),
        Page(
            "live judgement",
            "manager",
            f"/reviews/{draft.pk}/judgement/",
            "POST",
            form,
            headers={"HX-Request": "true"},
        ),
        Page("worklist", "manager", "/reviews/"),
        Page("worklist", "lead", "/reviews/"),
        Page("coverage", "manager", "/qa/coverage/"),
        Page("coverage", "vsh", "/qa/coverage/"),
        Page("moderation", "vsh", "/qa/moderation/"),
        Page("moderation", "lead", "/qa/moderation/"),
        Page("dashboard", "manager", f"/reports/?{t}"),
        Page("dashboard", "vsh", f"/reports/?{t}"),
        # The dashboard's table of schools, fetched (htmx) when its closed section is opened.
        Page("dashboard: schools", "vsh", f"/reports/schools/?{t}", headers={"HX-Request": "true"}),
        Page("reports page", "vsh", f"/reports/pdf/?{t}"),
        Page("learning from the ratings", "vsh", "/qa/learning/"),
        Page("messages", "vsh", "/messages/"),
        Page("imports", "administrator", "/imports/"),
    ]

    def d(name: str, role: str, path: str, share: float = 0.25) -> Page:
        return Page(name, role, path, download=True, repeat_share=share)

    pages += [
        d("figures.csv", "vsh", f"/reports/figures.csv?{t}"),
        d("figures.xlsx", "vsh", f"/reports/figures.xlsx?{t}"),
        d("ratings.csv", "vsh", f"/reports/ratings.csv?{t}"),
        d("ratings.csv", "manager", f"/reports/ratings.csv?{t}"),
        d("ratings.xlsx", "vsh", f"/reports/ratings.xlsx?{t}"),
        d("learning.csv", "vsh", "/qa/learning.csv"),
        d("learning.xlsx", "vsh", "/qa/learning.xlsx"),
        d("import template", "administrator", "/imports/templates/children.csv"),
    ]
    return pages


# --- The server ----------------------------------------------------------------------------------


def start_server(args, env: dict[str, str], log_path: Path, wait: bool = True) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:args.port; answering, unless `wait` is off (then
    `wait_for_server` before the first request)."""
    env = dict(env, GUNICORN_ACCESS_LOG=str(log_path.with_suffix(".access.log")))
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "-c",
        str(BASE_DIR / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{args.port}",
        "hvs_qa.wsgi:application",
    ]
    with open(log_path, "ab") as log:
        server = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    if wait:
        wait_for_server(server, args.port, log_path)
    return server


def wait_for_server(server: subprocess.Popen, port: int, log_path: Path) -> None:
    probe = Client(port)
    deadline = time.monotonic() + 60
    while True:
        try:
            if probe.get("/login/").status == 200:
                return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            raise SystemExit(f"gunicorn did not start on port {port}: see {log_path}")
        time.sleep(0.2)


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def gunicorn_config(args) -> dict:
    workers = args.workers or int(os.environ.get("WEB_CONCURRENCY", "2"))
    threads = args.threads or int(os.environ.get("GUNICORN_THREADS", "8"))
    return {"workers": workers, "threads": threads}


# --- Measuring ------------------------------------------------------------------------------------


class QueryLog:
    def __init__(self, path: Path):
        self.path = path

    def count(self, tag: str, timeout: float = 10) -> int | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.path.exists():
                for line in self.path.read_text().splitlines():
                    name, _, number = line.partition(" ")
                    if name == tag:
                        return int(number)
            time.sleep(0.05)
        return None


def measure_page(page: Page, client: Client, repeat: int, queries: QueryLog) -> dict:
    def once(tag: str = "") -> Response:
        return client.request(page.method, page.path, data=page.data, headers=page.headers, tag=tag)

    statuses: dict[int, int] = {}
    first = once()
    statuses[first.status] = 1
    tag = uuid.uuid4().hex
    counted = once(tag)
    statuses[counted.status] = statuses.get(counted.status, 0) + 1
    times, bare = [], []
    for _ in range(max(2, round(repeat * page.repeat_share))):
        answer = once()
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
        times.append(answer.seconds)
        bare.append(client.get("/bench/bare/").seconds)
    if page.name == "rating save":
        client.get(page.path)  # shows (and so clears) the "Draft saved" messages
    p95, bare_p95 = percentile(times, 0.95), percentile(bare, 0.95)
    return {
        "name": page.name,
        "role": page.role,
        "download": page.download,
        "queries": queries.count(tag),
        "first_ms": 1000 * first.seconds,
        "p50_ms": 1000 * percentile(times, 0.5),
        "p95_ms": 1000 * p95,
        "bare_p50_ms": 1000 * percentile(bare, 0.5),
        "bare_p95_ms": 1000 * bare_p95,
        "ratio": p95 / bare_p95,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "ok": set(statuses) <= set(page.expect),
        "kib": len(first.body) / 1024,
        "rows": first.body.count(b"\n") - 1 if page.path.split("?")[0].endswith(".csv") else None,
        "samples": len(times),
    }


def search_path(client: Client) -> str:
    """The search posts and redirects to ?search=<token> (the text kept in the session)."""
    client.take_csrf(client.get("/peps/"))
    answer = client.post("/peps/", {"q": "child 0001"})
    if answer.status != 302:
        raise SystemExit(f"the PEP search answered {answer.status}")
    split = urlsplit(answer.location)
    return f"{split.path}?{split.query}"


def measure_report_pdf(client: Client, term, kind: str = "board", runs: int = 2) -> dict:
    """Ask for a report (``kind``: board, social_care), poll its status as the page does
    (more often), download: the time until the file is in hand, the first run apart."""
    import io

    from pypdf import PdfReader

    from reporting.models import ReportRequest

    client.take_csrf(client.get(f"/reports/pdf/?term={term.pk}"))
    results = []
    pages = 0
    for _ in range(runs):
        started = time.perf_counter()
        answer = client.post("/reports/pdf/request/", {"kind": kind, "term": term.pk})
        if answer.status != 302:
            raise SystemExit(f"asking for the {kind} report answered {answer.status}")
        status_path = urlsplit(answer.location).path
        pk = int(status_path.rstrip("/").rsplit("/", 1)[1])
        polls = 0
        while True:
            polls += 1
            if client.get(status_path, headers={"HX-Request": "true"}).status != 200:
                raise SystemExit("the board report's status page did not answer 200")
            report = ReportRequest.objects.get(pk=pk)
            if report.is_ready:
                break
            if report.status == "failed":
                raise SystemExit(f"the board report failed: {report.error}")
            if time.perf_counter() - started > 300:
                raise SystemExit("the board report was not ready in 5 minutes (is a worker running?)")
            time.sleep(0.2)
        download = client.get(f"{status_path}download/")
        if download.status != 200:
            raise SystemExit(f"downloading the board report answered {download.status}")
        results.append(time.perf_counter() - started)
        pages = len(PdfReader(io.BytesIO(download.body)).pages)
        kib = len(download.body) / 1024
    return {"first_s": results[0], "warm_s": min(results[1:] or results), "pages": pages, "kib": kib, "polls": polls}


def weasyprint_floor(pages: int, runs: int = 3) -> float:
    """WeasyPrint's plain floor: a page of paragraphs a page, no styles, best of `runs`."""
    from weasyprint import HTML

    para = "<p>" + "Plain text for the floor of a PDF of this many pages. " * 12 + "</p>"
    body = "".join(
        f'<section style="page-break-after: always"><h1>Page {n + 1}</h1>{para * 4}</section>' for n in range(pages)
    )
    html = f"<!doctype html><html><head><meta charset='utf-8'><title>floor</title></head><body>{body}</body></html>"
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        HTML(string=html).write_pdf()
        times.append(time.perf_counter() - started)
    return min(times)


def concurrent_run(port: int, sessions: list[tuple[Client, list[str]]], seconds: float, think: float = 0.0) -> dict:
    """Every session in a thread of its own, one request after another, each a page drawn
    from its list: with no pause (``think`` 0, the worst case: every user always waiting,
    so p95 is bounded below by users / throughput), or reading each page for a time drawn
    evenly from 0 to twice ``think`` seconds, as people do."""
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(sessions) + 1)
    stop_at = [0.0]

    def user(client: Client, paths: list[str], seed: int) -> None:
        rng = random.Random(seed)
        mine, wrong = [], []
        start.wait()
        while time.perf_counter() < stop_at[0]:
            path = rng.choice(paths)
            try:
                answer = client.get(path)
                seconds = answer.seconds
                # The PEP list opened bare brings back the session's last filters (a
                # redirect to them, as a browser follows): the wait is both requests.
                if answer.status == 302 and answer.location.startswith(f"{path}?"):
                    answer = client.get(answer.location)
                    seconds += answer.seconds
                if answer.status != 200:
                    wrong.append(f"{answer.status} {path}")
                mine.append(seconds)
            except OSError as error:
                wrong.append(f"{type(error).__name__} {path}")
            if think:
                time.sleep(min(rng.uniform(0, 2 * think), max(0.0, stop_at[0] - time.perf_counter())))
        with lock:
            times.extend(mine)
            errors.extend(wrong)

    threads = [
        threading.Thread(target=user, args=(client, paths, n), daemon=True)
        for n, (client, paths) in enumerate(sessions)
    ]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {
        "users": len(sessions),
        "think_s": think,
        "seconds": elapsed,
        "requests": len(times),
        "per_second": len(times) / elapsed,
        "p50_ms": 1000 * percentile(times, 0.5),
        "p95_ms": 1000 * percentile(times, 0.95),
        "max_ms": 1000 * max(times, default=float("nan")),
        "errors": len(errors),
        "error_sample": sorted(set(errors))[:5],
    }


def measure_export(client: Client, role: str, term, repeat: int = 7) -> dict:
    """The ratings CSV of the term: the median of ``repeat`` downloads, each beside the bare
    view; its rate over the whole request, and over the time beyond the bare view's (what
    every request costs: sign-in session, middleware, a query), the rate of the export's
    own work."""
    path = f"/reports/ratings.csv?term={term.pk}"
    client.get(path)  # warm
    times, bare, rows = [], [], 0
    for _ in range(repeat):
        answer = client.get(path)
        rows = answer.body.count(b"\n") - 1
        times.append(answer.seconds)
        bare.append(client.get("/bench/bare/").seconds)
    seconds, bare_s = percentile(times, 0.5), percentile(bare, 0.5)
    return {
        "role": role,
        "rows": rows,
        "seconds": seconds,
        "bare_s": bare_s,
        "rows_per_s": rows / seconds,
        "own_rows_per_s": rows / max(seconds - bare_s, 1e-6),
    }


def concurrent_sessions(port: int, tokens: dict, count: int, pages: list[Page], term) -> list[tuple[Client, list[str]]]:
    """`count` users signed in, a mix of roles (every officer, the managers, the leads, the
    VSH, the administrator, some more than once), each with the interactive pages of their
    role (their own PEP page for an officer)."""
    from accounts.models import User
    from peps.models import Pep

    by_role: dict[str, list[str]] = {}
    for page in pages:
        # Not the search: its token is the searching session's (another gets "expired", 302).
        searched = page.name == "PEP list: searched"
        if not page.download and page.method == "GET" and not searched and page.results.get("ok"):
            by_role.setdefault(page.role, []).append(page.path)
    people: list[tuple[str, str]] = []
    officers = list(User.objects.filter(username__startswith="bench-officer").order_by("pk"))
    others = [(u.username, role) for role, u in ((r, User.objects.get(username=n)) for r, n in ROLE_USERS.items())]
    managers = [(u.username, "manager") for u in User.objects.filter(username__startswith="bench-manager")]
    leads = [(u.username, "lead") for u in User.objects.filter(username__startswith="bench-lead")]
    pool = [(o.username, "officer") for o in officers] + managers * 3 + leads * 3 + others * 2
    people = (pool * (count // max(1, len(pool)) + 1))[:count]
    own = {
        o.username: [f"/peps/{pk}/" for pk in Pep.objects.filter(term=term, officer=o).values_list("pk", flat=True)[:5]]
        for o in officers
    }
    used: dict[str, int] = {}
    sessions: list[tuple[Client, list[str]]] = []
    lock = threading.Lock()

    def sign_in(username: str, role: str) -> None:
        with lock:
            n = used[username] = used.get(username, -1) + 1
        client = Client(port)
        client.sign_in(username, tokens[username][TOKENS_PER_USER - 1 - n])
        # An officer's own PEP pages instead of bench-officer0's.
        paths = [
            p for p in by_role.get(role, ["/"]) if not (role == "officer" and p[:6] == "/peps/" and p[6:7].isdigit())
        ]
        paths += own.get(username, [])
        if username != ROLE_USERS["manager"]:  # the draft to rate is bench-manager0's
            paths = [p for p in paths if not p.endswith("/rate/")]
        with lock:
            sessions.append((client, paths))

    threads = [threading.Thread(target=sign_in, args=person) for person in people]
    for batch in range(0, len(threads), 10):
        for thread in threads[batch : batch + 10]:
            thread.start()
        for thread in threads[batch : batch + 10]:
            thread.join()
    if len(sessions) != count:
        raise SystemExit(f"only {len(sessions)} of {count} users signed in")
    return sessions


# --- Reporting ---------------------------------------------------------------------------------


def _fmt(value, spec: str = ".0f") -> str:
    return "-" if value is None else format(value, spec)


def format_pages(results: list[dict]) -> str:
    lines = [
        f"{'page':<34} {'role':<13} {'queries':>7} {'first':>8} {'p50':>8} {'p95':>8} {'bare p95':>8} "
        f"{'x bare':>7} {'<=10x':>5} {'status':>10}"
    ]
    for r in results:
        target = "-" if r["download"] else ("yes" if r["ratio"] <= INTERACTIVE_TARGET else "no")
        statuses = ",".join(r["statuses"]) + ("" if r["ok"] else " !")
        lines.append(
            f"{r['name'][:34]:<34} {r['role']:<13} {_fmt(r['queries'], 'd'):>7} {r['first_ms']:>8.1f} "
            f"{r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['bare_p95_ms']:>8.1f} {r['ratio']:>7.1f} {target:>5} "
            f"{statuses:>10}"
        )
    return "\n".join(lines)


def print_report(result: dict) -> None:
    meta = result["meta"]
    print()
    print(
        f"Over HTTP: {meta['children']:,} children, {meta['years']} years ({meta['peps']:,} PEPs, "
        f"{meta['area_ratings']:,} area ratings), gunicorn {meta['workers']} x {meta['threads']} threads, "
        f"PostgreSQL; {meta['date']}; load before: {meta['load']}"
    )
    print("Times in ms; first = the first request (cold); p50/p95 of the warm ones; x bare = p95 / the bare")
    print("view's p95, interleaved with the page; queries = one request's, counted in the server.")
    print()
    print(format_pages(result["pages"]))
    interactive = [r for r in result["pages"] if not r["download"]]
    met = sum(1 for r in interactive if r["ratio"] <= INTERACTIVE_TARGET)
    print()
    print(f"Interactive pages within {INTERACTIVE_TARGET:.0f}x the bare view (p95): {met} of {len(interactive)}")
    for export in result["exports"]:
        target = "yes" if export["rows_per_s"] >= EXPORT_RATE_TARGET else "no"
        own = export.get("own_rows_per_s")
        print(
            f"Ratings CSV ({export['role']}): {export['rows']:,} rows in {export['seconds'] * 1000:.0f} ms (median) = "
            f"{export['rows_per_s']:,.0f} rows/s (target {EXPORT_RATE_TARGET:,}: {target})"
            + (
                f"; beyond the bare view's {export['bare_s'] * 1000:.0f} ms: {own:,.0f} rows/s"
                if own is not None
                else ""
            )
        )
    pdf = result.get("board_pdf")
    if pdf:
        target = "yes" if pdf["ratio"] <= PDF_TARGET else "no"
        print(
            f"Board PDF: {pdf['pages']} pages, {pdf['kib']:.0f} KiB: until downloaded {pdf['first_s']:.2f} s first, "
            f"{pdf['warm_s']:.2f} s warm; WeasyPrint's floor for {pdf['pages']} plain pages {pdf['floor_s']:.2f} s: "
            f"{pdf['ratio']:.1f}x (target {PDF_TARGET:.0f}x: {target})"
        )
    social = result.get("social_care_pdf")
    if social:
        print(
            f"Social care PDF: {social['pages']} pages, {social['kib']:.0f} KiB: until downloaded "
            f"{social['first_s']:.2f} s first, {social['warm_s']:.2f} s warm (built in the background); "
            f"WeasyPrint's floor {social['floor_s']:.2f} s: {social['ratio']:.1f}x"
        )
    for label, run in (
        ("app, no think time", result.get("concurrent")),
        ("bare view, no think time", result.get("concurrent_bare")),
        ("app, reading each page", result.get("concurrent_think")),
    ):
        if run:
            target = "yes" if run["p95_ms"] < CONCURRENT_P95_TARGET_MS and not run["errors"] else "no"
            if run.get("think_s"):
                label += f" 0-{2 * run['think_s']:.0f} s"
            print(
                f"{run['users']} users at once, {label}: {run['requests']} requests in {run['seconds']:.0f} s = "
                f"{run['per_second']:.1f}/s; p50 {run['p50_ms']:.0f} ms, p95 {run['p95_ms']:.0f} ms, max "
                f"{run['max_ms']:.0f} ms; {run['errors']} errors {run['error_sample'] if run['errors'] else ''}"
                + (f" (target p95 < 1 s, no errors: {target})" if label.startswith("app") else "")
            )


def compare(a_path: str, b_path: str) -> None:
    a, b = (json.loads(Path(p).read_text()) for p in (a_path, b_path))
    rows_b = {(r["name"], r["role"]): r for r in b["pages"]}
    print(f"A: {a_path}: {a['meta']['children']:,} children, {a['meta']['years']} years, {a['meta']['date']}")
    print(f"B: {b_path}: {b['meta']['children']:,} children, {b['meta']['years']} years, {b['meta']['date']}")
    # The machine is shared: each p95 is judged against its own run's bare view (the "x bare"
    # ratio), so a busier moment during one run does not pass for a cost of the archive.
    print(
        f"{'page':<34} {'role':<13} {'A p95':>8} {'B p95':>8} {'A xbare':>7} {'B xbare':>7} {'A/B':>6} "
        f"{'<=1.5x':>6} {'A q':>5} {'B q':>5}"
    )
    met = total = 0
    for r in a["pages"]:
        other = rows_b.get((r["name"], r["role"]))
        if other is None:
            continue
        ratio = r["ratio"] / other["ratio"]
        target = "-"
        if not r["download"]:
            total += 1
            met += ratio <= YEARS_TARGET
            target = "yes" if ratio <= YEARS_TARGET else "no"
        print(
            f"{r['name'][:34]:<34} {r['role']:<13} {r['p95_ms']:>8.1f} {other['p95_ms']:>8.1f} {r['ratio']:>7.1f} "
            f"{other['ratio']:>7.1f} {ratio:>6.2f} {target:>6} {_fmt(r['queries'], 'd'):>5} "
            f"{_fmt(other['queries'], 'd'):>5}"
        )
    print(f"\nInteractive pages within {YEARS_TARGET}x (p95 over the bare view's, A over B): {met} of {total}")


def run(args) -> dict:
    from django.db import connection

    from peps.models import Pep
    from reviews.models import AreaRating

    built = None if args.reuse else build(args)
    if built:
        print(
            f"Built {built['children']:,} children, {built['peps']:,} PEPs, {built['area_ratings']:,} area ratings "
            f"in {built['build_seconds']:.1f} s"
        )
    context = prepare()
    term = context["term"]
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load": " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "",
        "database": connection.settings_dict["NAME"],
        "children": Pep.objects.filter(term=term).values("child").distinct().count(),
        "years": round(Pep.objects.values("term").distinct().count() / 3),
        "peps": Pep.objects.count(),
        "area_ratings": AreaRating.objects.count(),
        "repeat": args.repeat,
        **gunicorn_config(args),
    }
    pages = pages_for(context)
    if args.pages:
        wanted = [w.strip() for w in args.pages.split(",") if w.strip()]
        pages = [p for p in pages if any(w in p.name for w in wanted)]
    log_dir = Path(tempfile.mkdtemp(prefix="hvs-bench-http-"))
    query_log = log_dir / "queries.log"
    os.environ["BENCH_QUERY_LOG"] = str(query_log)
    server = start_server(args, server_environment(str(query_log)), log_dir / "gunicorn.log")
    result: dict = {"meta": meta, "pages": [], "exports": []}
    try:
        clients: dict[str, Client] = {}
        for role, username in ROLE_USERS.items():
            clients[role] = Client(args.port)
            clients[role].sign_in(username, context["tokens"][username][0])
        queries = QueryLog(query_log)
        for page in pages if not args.concurrent_only else []:
            client = clients[page.role]
            if page.path == "SEARCH":
                page.path = search_path(client)
            if page.method == "POST":
                client.take_csrf(client.get(f"/reviews/{context['draft'].pk}/rate/"))
            page.results = measure_page(page, client, args.repeat, queries)
            result["pages"].append(page.results)
            r = page.results
            print(
                f"  {page.name} ({page.role}): {r['p95_ms']:.0f} ms p95, {r['ratio']:.1f}x bare, "
                f"{r['queries']} queries, {','.join(r['statuses'])}",
                flush=True,
            )
        if args.concurrent_only:
            for page in pages:
                page.results = {"ok": True}
        for role in ("vsh", "manager") if not args.concurrent_only else ():
            result["exports"].append(measure_export(clients[role], role, term))
        if not args.no_pdf and not args.concurrent_only and (not args.pages or "board" in args.pages):
            pdf = measure_report_pdf(clients["vsh"], term, "board")
            pdf["floor_s"] = weasyprint_floor(pdf["pages"])
            pdf["ratio"] = pdf["warm_s"] / pdf["floor_s"]
            result["board_pdf"] = pdf
            # The social care report goes the same way (requested, built in the background).
            social = measure_report_pdf(clients["vsh"], term, "social_care")
            social["floor_s"] = weasyprint_floor(social["pages"])
            social["ratio"] = social["warm_s"] / social["floor_s"]
            result["social_care_pdf"] = social
        if args.users:
            sessions = concurrent_sessions(args.port, context["tokens"], args.users, pages, term)
            result["concurrent"] = concurrent_run(args.port, sessions, args.seconds)
            if args.think:
                # As people work: the same users, each reading a page before the next.
                result["concurrent_think"] = concurrent_run(args.port, sessions, 2 * args.seconds, args.think)
            bare = [(client, ["/bench/bare/"]) for client, _ in sessions]
            result["concurrent_bare"] = concurrent_run(args.port, bare, max(5.0, args.seconds / 2))
    finally:
        stop_server(server)
    print_report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str))
        print(f"\nResults written to {args.json}")
    return result


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.compare:
        compare(*args.compare)
        return
    env = server_environment("")
    env.pop("BENCH_QUERY_LOG")
    setup_django(env)
    run(args)


if __name__ == "__main__":
    main()
