"""Bad input never answers 500: every route, as every role, with junk in every parameter.

The routes are walked from the root resolver as tests/test_url_guards.py walks them (the
admin aside: it has tests of its own), on the small world that module builds: a PEP, its
term, a submitted review, a sample entry with a draft, a report request, a peer review.
For each route, signed in as the VSH, a manager, an officer and whoever may use it:

- GET and POST to the path with ids that do not exist or no database integer holds;
- GET with every query parameter the app reads set to each junk value in turn;
- POST with every field of the forms the route takes set to each junk value in turn.

A response may refuse (400, 403, 404, 405), redirect or show a form error: never a 5xx.

Junk in a gate (the term, the report kind, a form's choices) stops a view before it reads
the rest, so each junk value is sent again past the gates: the gates valid, the rest junk.
Kept fast: a method whose parameters the view does not read gets one request, not one a
value. And kept honest: a test-only middleware notes every parameter name a view looks up,
and a name the fuzz does not send fails the route's test.
"""

import sys
import traceback

import pytest
from django.conf import settings
from django.core.signals import got_request_exception
from django.http import QueryDict
from django.test import Client
from django.urls import reverse

from . import test_url_guards as guards

pytestmark = pytest.mark.django_db

world = guards.world  # the URL guards' world, reused as it is

ROLES = ("vsh", "manager", "officer")

# Every query parameter the app's pages read (and one they might), sent with every GET.
QUERY_NAMES = [
    "term",
    "page",
    "sort",
    "show",
    "year",
    "next",
    "kind",
    "format",
    "list",  # the PEP page's back link: the list's query string
    "search",  # the PEP list's search token (web/search.py)
    # a child's audit trail's filters (web.audit.forms.TrailFilterForm)
    "person",
    "since",
    "until",
    # the PEP list's filters (peps.filters.PepFilter)
    "q",
    "phase",
    "status",
    "judgement",
    "officer",
    "school",
    "key_stage",
    "completion",
    "sw_attended",
    "sw_section",
    "team",
    "returned",
    # the messages page's filters (web.notices.filters.NoticeFilter)
    "state",
    "reference",
    "person",
    "date_from",
    "date_to",
    "pep",
    # the supervision page's prefill (web.practice.supervision_views.supervision_new)
    "review",
    # learning from the ratings (web.practice.learning) and the exemplar library's filters
    "span",
    "area",
    "about",  # the Gold mark's form, prefilled from the mark of that area
    # django-axes, on a failed sign-in: it masks these in the GET and POST data it records.
    "username",
    "password",
    "ip_address",
]

# The PEP list's filters, also posted by its form.
PEP_FILTER_NAMES = QUERY_NAMES[QUERY_NAMES.index("q") :]

JUNK = [
    "²",  # str.isdigit() says yes, int() says no
    "-1",
    "99999999999999999999",  # beyond a 64-bit integer
    "1" * 5000,  # beyond int()'s 4300 digits; and a long string
    "1e9",
    "http://[::1'\"><script>alert(1)</script>",  # urlsplit() raises on it; and markup
    "",
]
# NUL bytes: PostgreSQL refuses them in text, so they need the middleware that turns them
# away first (hvs_qa/middleware.py, another change); until it is installed, they are left out.
if any(entry.startswith("hvs_qa.middleware.") for entry in settings.MIDDLEWARE):
    JUNK.append("a\x00b")

# Path ids that no row has, or that no database integer holds.
JUNK_IDS = [0, 2**63, 10**20]

ROUTES = {name: converters for name, _route, converters in guards.project_patterns()}


PEP_MEETING_FIELDS = [
    *(f"{date}_{part}" for date in ("meeting_date", "next_meeting_date") for part in range(3)),
    "attendees",
    "sw_section_updated",
    "pp_plus_requested",
    "pp_plus_amount",
    "attendance_percent",
    "child_views",
    "education_summary",
    "attainment_summary",
    "targets",
    "aspirations_summary",
    "action",
]


# The supervision form (web/practice/supervision_forms.py): the meeting, then its rows.
SUPERVISION_FIELDS = [
    *("date_0", "date_1", "date_2", "reviews", "notes", "form_token", "version"),
    *(
        f"action_{row}_{part}"
        for row in (1, 2, 3)
        for part in ("description", "owner", "due_0", "due_1", "due_2", "review", "area")
    ),
    *(f"training_{row}_{part}" for row in (1, 2) for part in ("kind", "with_whom", "date_0", "date_1", "date_2")),
]


def form_names(world) -> dict[str, list[str]]:
    """Route -> the fields of the forms it takes (some names carry the world's ids)."""
    entry = world["entry"]
    areas = [
        name for rating in world["draft"].area_ratings.all() for name in (f"rating_{rating.pk}", f"comment_{rating.pk}")
    ]
    rating = [*areas, "strengths", "development_points", "action", "version"]
    submitted = [
        name
        for rating in world["review"].area_ratings.all()
        for name in (f"rating_{rating.pk}", f"comment_{rating.pk}")
    ]
    correction = [*submitted, "strengths", "development_points", "version", "reason"]
    return {
        "login": ["username", "password", "next", "ip_address"],  # ip_address: see QUERY_NAMES
        "account:password_change": ["old_password", "new_password1", "new_password2"],
        "account:password_reset": ["email"],
        "account:password_reset_confirm": ["new_password1", "new_password2"],
        "logout": ["next"],
        "second_factor:verify": ["code", "next"],
        "second_factor:enrol": ["code", "next"],
        "second_factor:recovery_codes": ["next"],
        "peps:finalise": ["next", "confirmed"],
        "peps:finalise_selected": ["pep", "confirmed", "next"],
        "sampling:entry_start": ["next"],
        "reviews:rate": rating,
        "reviews:judgement": rating,
        "reviews:confirm": ["version"],
        "reviews:correct": correction,
        "reviews:correction_judgement": correction,
        "sampling:settle": [
            f"settle-{entry.pk}-agreed_judgement",
            f"settle-{entry.pk}-notes",
            f"settle-{entry.pk}-based_on",
        ],
        "practice:peer_review_new": ["date_0", "date_1", "date_2", "term", "focus", "focus_notes", "attendees"],
        "practice:peer_review_detail": [
            *("pep-member", "pep-brought", "pep-findings"),
            *("outcome-action", "outcome-status", "outcome-outcome"),
            *("action-description", "action-owner", "action-area", "action-pep"),
            *(f"action-due_{part}" for part in range(3)),
            "notes-findings",
        ],
        "practice:capability": [
            *(f"open-opened_on_{part}" for part in range(3)),
            *(f"close-closed_on_{part}" for part in range(3)),
            "open-notes",
            "notes-notes",
            "notes-seen",
        ],
        "practice:gold_mark": ["about", "what_made_it_gold"],
        "practice:exemplar_curate": ["title", "anonymised_text"],
        "reports:request": ["kind", "term"],
        "reports:social_care_send": ["term", "token"],
        "reports:commentary": ["term", "version", "commentary", "next_steps"],
        "peps:record_new": PEP_MEETING_FIELDS,
        "peps:record": PEP_MEETING_FIELDS,
        "peps:submit": ["note"],
        "imports:index": ["kind", "source", "new_source", "file"],
        "imports:mapping": [f"column_{index}" for index in range(len(world["import_run"].headings))],
        "practice:supervision_edit": SUPERVISION_FIELDS,
        "practice:supervision_detail": ["training", "status"],
        # The PEP list's filter form posts (the search text stays out of the address).
        "peps:list": ["term", *PEP_FILTER_NAMES, "sort"],
    }


def gates(world) -> list[tuple[set[str], bool, dict]]:
    """(when the view read any of, only after it refused, the valid values): what gets the
    rest of the junk read past a gate. A value of None leaves the parameter out."""
    term, officer, entry = str(world["pep"].term_id), str(world["officer"].pk), world["entry"].pk
    chosen = {
        "term": term,
        "kind": "board",
        "pep-member": officer,
        "pep-brought": str(world["pep"].pk),
        "outcome-action": str(world["meeting_action"].pk),
        "outcome-status": "done",
        "action-owner": officer,
        **{f"action-due_{part}": value for part, value in enumerate(("1", "10", "2026"))},
        f"settle-{entry}-agreed_judgement": "green",
        "date_0": "1",
        "date_1": "10",
        "date_2": "2026",
        "focus": "targets",
        "attendees": officer,
        "about": "pep",
        **{f"rating_{rating.pk}": "green" for rating in world["draft"].area_ratings.all()},
        **{f"rating_{rating.pk}": "green" for rating in world["review"].area_ratings.all()},
        "action": "draft",  # submitting would leave nothing to rate for the next value
    }
    return [
        # The term picker and the report kind answer 404 before the rest is read (one at a
        # time: the report kind is read before the term).
        ({"term"}, True, {"term": term}),
        ({"kind"}, True, {"kind": "board"}),
        # The new supervision page reads the review to tick once the officer is one's own.
        ({"officer"}, True, {"officer": officer}),
        # The peer review page reads one form a post, told apart by its first field: a PEP
        # picked, an outcome, an action, else the findings.
        ({"pep-member"}, False, {"pep-member": None}),
        ({"outcome-action"}, False, {"pep-member": None, "outcome-action": None}),
        ({"action-description"}, False, {"pep-member": None, "outcome-action": None, "action-description": None}),
        # A form's choices valid, so that its free text goes on to the services.
        (set(chosen) - {"term", "kind"}, False, chosen),
    ]


# --- what a view reads ------------------------------------------------------------------

READS: dict[str, set[str]] = {"GET": set(), "POST": set()}


class _Recording(QueryDict):
    """A QueryDict that notes each name looked up in it (its copies too)."""

    label = ""

    def _note(self, key):
        # Not a template's {{ request.GET.urlencode }}, which tries the name as a key first.
        if not hasattr(QueryDict, key):
            READS[self.label].add(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


class _GetReads(_Recording):
    label = "GET"


class _PostReads(_Recording):
    label = "POST"


def _recording(cls, query: QueryDict) -> QueryDict:
    copy = cls("", mutable=True, encoding=query.encoding)
    for key, values in query.lists():
        copy.setlist(key, values)
    copy._mutable = False
    return copy


class RecordReads:
    """Test-only middleware: a request.GET and request.POST that note the names looked up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = _recording(_GetReads, request.GET)
        if request.method == "POST":
            request.POST = _recording(_PostReads, request.POST)
        return self.get_response(request)


# --- the fuzzing ------------------------------------------------------------------------


@pytest.fixture
def crashes(settings):
    """The exception behind each 5xx, for the failure message; and the names views read."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.RecordReads"]
    seen = []

    def record(sender, **kwargs):
        seen.append("".join(traceback.format_exception_only(*sys.exc_info()[:2])).strip())

    got_request_exception.connect(record)
    yield seen
    got_request_exception.disconnect(record)


@pytest.fixture(autouse=True)
def _no_pdf_rendering(monkeypatch):
    """WeasyPrint takes a second a PDF; what is fuzzed here is the parsing in front of it."""
    stub = b"%PDF-1.4 fuzz"
    monkeypatch.setattr("reporting.pdf.board_report_pdf", lambda *a, **k: stub)
    monkeypatch.setattr("reporting.pdf.social_care_report_pdf", lambda *a, **k: stub)
    # The Word version's parsing in front of python-docx is what is fuzzed here too.
    monkeypatch.setattr("reporting.docx.board_report_docx", lambda *a, **k: b"PK fuzz")
    laid_out = type("Document", (), {"pages": [1], "write_pdf": lambda self, **options: stub})()
    monkeypatch.setattr("reporting.pdf.document", lambda html: laid_out)


class Fuzzer:
    """Sends requests as one user after another, noting every 5xx and every parameter name
    a view read."""

    def __init__(self, name, world, crashes):
        self.name, self.world, self.crashes = name, world, crashes
        self.client = Client(raise_request_exception=False)
        self.failures = []
        self.read = {"GET": set(), "POST": set()}

    def sign_in(self, who):
        self.who = who
        if who == "anonymous":
            self.client.logout()
        else:
            self.client.force_login(self.world[who])

    def send(self, method, url, data=None):
        """The response, and the names of ``method``'s parameters the view read."""
        before = len(self.crashes)
        for names in READS.values():
            names.clear()
        response = getattr(self.client, method)(url, data)
        for label, names in READS.items():
            self.read[label] |= names
        if response.status_code >= 500:
            shown = {k: (v[:20] + "..." if v and len(v) > 20 else v) for k, v in (data or {}).items()}
            cause = self.crashes[before] if len(self.crashes) > before else ""
            self.failures.append(f"{method.upper()} {url} {shown} as {self.who}: {response.status_code} {cause}")
        if self.name == "logout" and self.who != "anonymous":
            self.sign_in(self.who)  # signed out by the request: back in for the next
        return response, set(READS[method.upper()])

    def fuzz(self, method, url, names, gates):
        """Each junk value in every one of ``names``; and past each gate, while that gets
        the view to read more than the gate."""
        open_gates = list(gates)
        for value in JUNK:
            junk = dict.fromkeys(names, value)
            response, read = self.send(method, url, junk)
            if not read:
                return  # the view reads none of this method's parameters (as this user)
            for gate in list(open_gates):
                when, after_refusal, valid = gate
                if not read & when or (after_refusal and response.status_code < 400):
                    continue
                past = {k: valid.get(k, v) for k, v in junk.items()}
                past = {k: v for k, v in past.items() if v is not None}
                _response, beyond = self.send(method, url, past)
                if not beyond - set(valid):
                    open_gates.remove(gate)  # nothing more behind it

    def unsent(self, form_names) -> list[str]:
        return [
            *(f"GET ?{name}= (add it to QUERY_NAMES)" for name in sorted(self.read["GET"] - set(QUERY_NAMES))),
            *(f"POST {name} (add it to form_names)" for name in sorted(self.read["POST"] - set(form_names))),
        ]


@pytest.mark.parametrize("name", list(ROUTES))
def test_no_input_answers_a_server_error(world, crashes, name):
    if name not in guards.CASES:
        pytest.fail(f"add a case for {name} in tests/test_url_guards.py")
    case, converters = guards.CASES[name], ROUTES[name]
    url = reverse(name, kwargs=case.kwargs(world))
    fields = form_names(world).get(name, [])
    fuzzer = Fuzzer(name, world, crashes)
    for who in dict.fromkeys([*ROLES, case.insider, *(["anonymous"] if name in guards.PUBLIC else [])]):
        fuzzer.sign_in(who)
        for junk_id in JUNK_IDS if converters else ():
            junk_url = reverse(name, kwargs=dict.fromkeys(converters, junk_id))
            fuzzer.send("get", junk_url)
            fuzzer.send("post", junk_url)
        fuzzer.fuzz("get", url, QUERY_NAMES, gates(world))
        fuzzer.fuzz("post", url, fields or QUERY_NAMES, gates(world))
    assert not fuzzer.failures, f"{len(fuzzer.failures)} server errors:\n" + "\n".join(fuzzer.failures[:20])
    unsent = fuzzer.unsent(fields)
    assert not unsent, f"{name} reads parameters the fuzz does not send: " + "; ".join(unsent)
