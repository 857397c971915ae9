"""Every URL of the project, guarded.

The URL patterns are walked from the root resolver (the admin and static/media aside), and
each must have a case below: how to fill its path arguments from real objects, whether it
is POST-only, and who, inside, may use it. A pattern without a case fails the run with
"add a case for <name>", so a new URL cannot slip in unguarded.

For every URL:

- anonymous GET and POST go to the login page with ?next=, except the public pages, and
  the public pages are exactly ``PUBLIC``;
- an officer whose caseload does not hold the object gets a 403, 404 or 405 from an object
  URL, and no page, object or not, shows them the child's name or LA reference;
- a POST-only view refuses GET with a 405; a GET (by someone allowed) changes nothing;
- someone allowed gets the page (so the refusals above are about access, not a broken URL);
- every form posting back carries a CSRF token.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.vocabulary import Role
from imports.services import preview_import
from notices.models import DeliveryState
from peps.models import PepStatus
from practice.models import GoldExemplar, PeerReviewMeeting, PeerReviewPep, PracticeAction
from reporting.models import ReportKind, ReportRequest, ReportStatus
from reviews.models import QaReview
from reviews.services import save_review, start_review
from sampling.models import Sample, SampleEntry, SampleKind
from sampling.services import start_entry_review

from .factories import (
    ChildFactory,
    PepFactory,
    PracticeActionFactory,
    SupervisionFactory,
    TermFactory,
    TrainingOfferFactory,
    UserFactory,
    queue_notice,
    rate_all,
)

pytestmark = pytest.mark.django_db

PUBLIC = {
    "login",
    "accessibility",
    "privacy",
    "health",
    # Resetting a forgotten password (web/accounts): for people who cannot sign in.
    "account:password_reset",
    "account:password_reset_done",
    "account:password_reset_confirm",
    "account:password_reset_complete",
}
SKIPPED_NAMESPACES = {"admin"}
REFUSED = {403, 404, 405}


# --- the patterns ----------------------------------------------------------------------


def _walk(patterns, namespace=None, prefix=""):
    """(qualified name or route, route, path converters) of every pattern, depth first."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, inner, route)
        elif isinstance(entry, URLPattern):
            if route.lstrip("^").startswith(("static/", "media/")):
                continue
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield name or route, route, dict(getattr(entry.pattern, "converters", {}))


def project_patterns() -> list[tuple[str, str, dict]]:
    return list(_walk(get_resolver().url_patterns))


# --- the cases -------------------------------------------------------------------------


@dataclass
class Case:
    """kwargs: the path arguments, from the world. post_only: refuses GET. insider: a
    user of the world who may use the URL, and the statuses they get (200 a page, 302 a
    redirect after a POST). data: what the insider posts. of_object: whether the path
    arguments name an object some may not see (not a password reset link's token)."""

    kwargs: callable = lambda w: {}
    post_only: bool = False
    insider: str = "vsh"
    ok: tuple = (200,)
    data: dict = field(default_factory=dict)
    of_object: bool = True

    @property
    def has_object(self) -> bool:
        return self.of_object and self.kwargs is not Case.kwargs


def _pep(w):
    return {"pk": w["pep"].pk}


def _review(w):
    return {"pk": w["review"].pk}


def _draft(w):
    return {"pk": w["draft"].pk}


def _entry(w):
    return {"pk": w["entry"].pk}


def _report(w):
    return {"pk": w["report"].pk}


def _meeting(w):
    return {"pk": w["meeting"].pk}


def _draft_pep(w):
    return {"pk": w["draft_pep"].pk}


def _import_run(w):
    return {"pk": w["import_run"].pk}


def _notice(w):
    return {"pk": w["notice"].pk}


def _supervision(w):
    return {"pk": w["supervision"].pk}


def _exemplar(w):
    return {"pk": w["exemplar"].pk}


CASES = {
    # accounts
    "home": Case(insider="officer"),
    "login": Case(insider="officer", ok=(302,)),  # redirect_authenticated_user
    "logout": Case(post_only=True, insider="officer", ok=(302,)),
    "accessibility": Case(),
    "privacy": Case(),
    "health": Case(),  # the health check: no sign-in, no personal data
    # sign-in (web/accounts): a password and the session's keep-alive
    "account:password_change": Case(insider="officer"),
    "account:password_reset": Case(insider="officer"),
    "account:password_reset_done": Case(insider="officer"),
    # A made-up link: the page says it has expired (the real one: test_security_passwords).
    "account:password_reset_confirm": Case(
        lambda w: {"uidb64": "MQ", "token": "set-password"}, insider="officer", of_object=False
    ),
    "account:password_reset_complete": Case(insider="officer"),
    "account:keep_alive": Case(insider="officer"),
    # the second factor: a verified user is sent on (verify, enrol) or offered new codes
    "second_factor:verify": Case(insider="officer", ok=(302,)),
    "second_factor:enrol": Case(insider="officer", ok=(302,)),
    "second_factor:recovery_codes": Case(insider="officer"),
    # peps
    "peps:list": Case(insider="officer"),
    "peps:detail": Case(_pep, insider="officer"),
    "peps:mark_amended": Case(_pep, post_only=True, insider="officer", ok=(302,)),
    "peps:finalise": Case(_pep, post_only=True, insider="manager", ok=(200, 302)),
    "peps:finalise_selected": Case(post_only=True, insider="manager", ok=(302,)),
    "peps:record_new": Case(lambda w: {"child_pk": w["new_child"].pk}, insider="officer"),
    "peps:record": Case(_draft_pep, insider="officer"),
    "peps:submit": Case(_draft_pep, insider="officer"),
    # reviews
    "reviews:worklist": Case(insider="lead"),
    "reviews:start": Case(lambda w: {"pep_pk": w["pep"].pk}, post_only=True, insider="lead", ok=(302,)),
    "reviews:detail": Case(_review, insider="manager"),
    "reviews:rate": Case(_draft, insider="lead"),
    "reviews:judgement": Case(_draft, post_only=True, insider="lead"),
    "reviews:confirm": Case(_draft, insider="lead"),
    "reviews:correct": Case(_review, insider="manager"),
    "reviews:correction_judgement": Case(_review, post_only=True, insider="manager"),
    # sampling
    "sampling:entry_start": Case(_entry, post_only=True, insider="lead", ok=(302,)),
    "sampling:coverage": Case(),
    "sampling:moderation": Case(),
    # An empty form: the moderation page again, with the error summary.
    "sampling:settle": Case(_entry, post_only=True, ok=(200,)),
    "practice:peer_reviews": Case(),
    "practice:peer_review_new": Case(insider="manager"),
    "practice:peer_review_detail": Case(_meeting, insider="manager"),
    # The confidential capability process: the officer's line manager and the VSH only.
    "practice:capability": Case(lambda w: {"officer_pk": w["officer"].pk}, insider="manager"),
    "practice:learning": Case(insider="manager"),
    "practice:learning_csv": Case(insider="manager"),
    "practice:learning_xlsx": Case(),
    "practice:gold_mark": Case(_review, insider="manager"),
    "practice:exemplars": Case(insider="officer"),
    "practice:exemplar_proposals": Case(),
    "practice:exemplar_curate": Case(_exemplar),
    "practice:exemplar_decline": Case(_exemplar, post_only=True, ok=(302,)),
    # reports
    "reports:index": Case(insider="manager"),
    "reports:request": Case(post_only=True, insider="manager", ok=(302,), data={"kind": ReportKind.SOCIAL_CARE}),
    "reports:status": Case(_report, insider="manager"),
    "reports:download": Case(_report, insider="manager"),
    "reports:social_care": Case(insider="vsh", ok=(302,)),  # to the reports page: a GET builds nothing
    "reports:social_care_send": Case(insider="vsh"),
    # The board report's commentary (the VSH only) and its Word version (as the board report).
    "reports:commentary": Case(insider="vsh"),
    "reports:board_docx": Case(insider="manager"),
    "reporting:dashboard": Case(),
    "reporting:schools": Case(),
    "reporting:figures_csv": Case(),
    "reporting:figures_xlsx": Case(),
    "reporting:ratings_csv": Case(),
    "reporting:ratings_xlsx": Case(),
    # imports
    "imports:index": Case(),
    "imports:template": Case(lambda w: {"kind": "children"}),
    "imports:run": Case(_import_run),
    "imports:mapping": Case(_import_run, post_only=True, ok=(302,)),
    "imports:refresh": Case(_import_run, post_only=True, ok=(302,)),
    "imports:apply": Case(_import_run, post_only=True, ok=(302,)),
    "imports:errors_csv": Case(_import_run),
    # messages (the outbox)
    "notices:list": Case(),
    "notices:detail": Case(_notice),
    "notices:resend": Case(_notice, post_only=True, ok=(302,)),
    # audit
    "audit:child": Case(lambda w: {"child_pk": w["new_child"].pk}),
    # one-to-one supervision (practice): line management, so the manager is the insider
    "practice:supervisions": Case(insider="manager"),
    "practice:supervision_new": Case(insider="manager"),
    "practice:supervision_detail": Case(_supervision, insider="manager"),
    "practice:supervision_edit": Case(_supervision, insider="manager"),
    "practice:my_development": Case(insider="officer"),
}


CHILD_FIRST, CHILD_LAST, CHILD_REF = "Zebedee", "Quillfeather", "GUARD-REF-4711"
# The pages where the insider sees the child.
SHOWS_CHILD = {
    "home",
    "peps:list",
    "peps:detail",
    "reviews:worklist",
    "reviews:detail",
    "reviews:rate",
    "reviews:confirm",
    "reviews:correct",
    "practice:peer_review_detail",
    "practice:gold_mark",
    "practice:exemplar_curate",
    "peps:record",
    "peps:submit",
    "imports:run",
    "notices:list",
    "notices:detail",
    "practice:supervision_detail",
    "practice:supervision_edit",
}


@pytest.fixture
def world(settings, tmp_path, manager, officer, other_officer, lead, vsh):
    """One PEP of ``officer``'s child, with everything that hangs off it: the manager's
    submitted review, a cross-moderation entry for the lead (with the lead's draft, every area
    rated), a
    board report the manager asked for, and a peer review meeting the manager recorded.
    Also the child's draft PEP of an earlier term, and a child of ``officer`` with no PEP
    this term (the pages that record a PEP meeting); the VSH's preview of a children
    import that renames the child; and a failed message about the PEP."""
    settings.MEDIA_ROOT = tmp_path / "media"
    child = ChildFactory(
        allocated_officer=officer, first_name=CHILD_FIRST, last_name=CHILD_LAST, la_reference=CHILD_REF
    )
    pep = PepFactory(child=child, status=PepStatus.SUBMITTED)
    first = start_review(pep, manager)
    review = save_review(first, rate_all(first, ["gold"] * 8), strengths="", development_points="", submit=True)
    sample = Sample.objects.create(term=pep.term, kind=SampleKind.CROSS_MODERATION, reviewer=lead, seed="guards")
    entry = SampleEntry.objects.create(
        sample=sample,
        pep=pep,
        reason="cross_moderation",
        assigned_to=lead,
        due_date=pep.term.end_date,
        original_review=review,
    )
    draft = start_entry_review(entry, lead)
    # Every area rated and commented on: the lead's confirmation page shows its outcome.
    save_review(draft, rate_all(draft, ["green"] * 8), strengths="", development_points="", submit=False)
    report = ReportRequest.objects.create(
        kind=ReportKind.BOARD, term=pep.term, requested_by=manager, status=ReportStatus.READY
    )
    report.file.save("board.pdf", ContentFile(b"%PDF-1.4 guard"), save=True)
    social_care_report = ReportRequest.objects.create(
        kind=ReportKind.SOCIAL_CARE, term=pep.term, requested_by=vsh, status=ReportStatus.READY
    )
    social_care_report.file.save("social-care.pdf", ContentFile(b"%PDF-1.4 guard social care"), save=True)
    meeting = PeerReviewMeeting.objects.create(
        date=pep.term.start_date, term=pep.term, focus="targets", recorded_by=manager
    )
    meeting.attendees.set([officer, manager])
    PeerReviewPep.objects.create(meeting=meeting, member=officer, pep=pep, findings="Strong targets")
    meeting_action = PracticeAction.objects.create(
        peer_review=meeting, owner=officer, description="Share the Gold targets", due=pep.term.end_date
    )
    earlier = TermFactory(academic_year=pep.term.academic_year - 1, season=pep.term.season)
    draft_pep = PepFactory(child=child, term=earlier, status=PepStatus.DRAFT)
    new_child = ChildFactory(allocated_officer=officer)
    # A children import that renames the child, with a column it does not import.
    export = "LA reference,First name,Last name,Date of birth,Placement\n"
    export += f"{CHILD_REF},{CHILD_FIRST},{CHILD_LAST}-Renamed,{child.date_of_birth:%d/%m/%Y},Foster care\n"
    import_run = preview_import("children", ContentFile(export.encode(), name="children.csv"), source="LCS", user=vsh)
    # A message about the PEP that the mail server refused (the messages page resends it).
    notice = queue_notice(pep, state=DeliveryState.FAILED, caused_by=manager)
    # The manager's one-to-one with the officer about the review, an action and training.
    supervision = SupervisionFactory(officer=officer, manager=manager, date=pep.term.end_date)
    supervision.reviews.set([review])
    PracticeActionFactory(supervision=supervision, review=review)
    TrainingOfferFactory(supervision=supervision)
    # The manager's mark of what made the review Gold, to curate.
    exemplar = GoldExemplar.objects.create(review=review, marked_by=manager, what_made_it_gold="SMART targets")
    pep.refresh_from_db()
    return {
        "pep": pep,
        "review": review,
        "draft": draft,
        "entry": entry,
        "report": report,
        "social_care_report": social_care_report,
        "meeting": meeting,
        "meeting_action": meeting_action,
        "draft_pep": draft_pep,
        "new_child": new_child,
        "import_run": import_run,
        "notice": notice,
        "supervision": supervision,
        "exemplar": exemplar,
        "manager": manager,
        "officer": officer,
        "outsider": other_officer,
        "lead": lead,
        "vsh": vsh,
    }


def _url(name: str, world) -> str:
    return reverse(name, kwargs=CASES[name].kwargs(world))


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _snapshot() -> dict:
    """Row counts of the project's models, and the statuses of PEPs and reviews."""
    counts = {
        model._meta.label: model.objects.count()
        for app in ("accounts", "peps", "notices", "reviews", "sampling", "reporting", "post_office")
        for model in apps.get_app_config(app).get_models()
    }
    from peps.models import Pep

    counts["pep statuses"] = sorted(Pep.objects.values_list("pk", "status", "judgement"))
    counts["review statuses"] = sorted(QaReview.objects.values_list("pk", "status"))
    return counts


NAMES = [name for name, _route, _converters in project_patterns()]


# --- every pattern has a case ----------------------------------------------------------


def test_every_url_pattern_has_a_case():
    missing = [name for name in NAMES if name not in CASES]
    assert not missing, "; ".join(f"add a case for {name}" for name in missing)
    stale = set(CASES) - set(NAMES)
    assert not stale, f"cases for URLs that no longer exist: {sorted(stale)}"


def test_every_path_argument_is_filled_from_an_object():
    for name, route, converters in project_patterns():
        case = CASES.get(name)
        assert case is not None, f"add a case for {name}"
        filled = set(
            case.kwargs(
                {
                    k: _Any()
                    for k in (
                        "pep",
                        "review",
                        "draft",
                        "entry",
                        "report",
                        "meeting",
                        "draft_pep",
                        "new_child",
                        "import_run",
                        "notice",
                        "supervision",
                        "officer",
                        "exemplar",
                    )
                }
            )
        )
        assert filled == set(converters), (
            f"{name} ({route}): the case fills {filled}, the route takes {set(converters)}"
        )


class _Any:
    pk = 1


# --- anonymous -------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_anonymous_is_sent_to_login(client, world, name):
    if name not in CASES:
        pytest.fail(f"add a case for {name}")
    url = _url(name, world)
    login = f"{reverse('login')}?next={quote(url)}"
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        if name in PUBLIC:
            if method == "get":
                assert response.status_code == 200, f"{name}: public page answers {response.status_code}"
            continue
        assert response.status_code == 302, f"{method.upper()} {name}: {response.status_code}"
        assert response["Location"] == login, f"{method.upper()} {name}: {response['Location']}"
        body = _body(response)
        assert CHILD_REF not in body and CHILD_LAST not in body


def test_the_public_pages_are_exactly_the_allow_list(client, world):
    public = set()
    for name in NAMES:
        if name not in CASES:
            pytest.fail(f"add a case for {name}")
        response = client.get(_url(name, world))
        if not (response.status_code == 302 and response["Location"].startswith(f"{reverse('login')}?next=")):
            public.add(name)
    assert public == PUBLIC


# --- an officer outside the object's caseload ------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_an_officer_outside_the_caseload_gets_nothing(client, world, name):
    if name not in CASES:
        pytest.fail(f"add a case for {name}")
    case = CASES[name]
    url = _url(name, world)
    client.force_login(world["outsider"])
    before = _snapshot()
    for method in ("get", "post"):
        response = getattr(client, method)(url, case.data if method == "post" else None)
        body = _body(response)
        for secret in (CHILD_FIRST, CHILD_LAST, CHILD_REF):
            assert secret not in body, f"{method.upper()} {name} shows {secret} to an officer outside the caseload"
        if case.has_object:
            assert response.status_code in REFUSED, f"{method.upper()} {name}: {response.status_code}"
        if name == "logout":
            client.force_login(world["outsider"])
    if case.has_object:
        assert _snapshot() == before, f"{name}: a refused request changed data"


# --- methods, side effects, CSRF -------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_post_only_views_refuse_get_and_get_changes_nothing(client, world, name):
    if name not in CASES:
        pytest.fail(f"add a case for {name}")
    case = CASES[name]
    client.force_login(world[case.insider])
    before = _snapshot()
    response = client.get(_url(name, world))
    if case.post_only:
        assert response.status_code == 405, f"GET {name}: {response.status_code}, not 405"
    else:
        assert response.status_code != 405, f"GET {name} is refused: mark the case post_only"
    assert _snapshot() == before, f"GET {name} changed data"


@pytest.mark.parametrize("name", NAMES)
def test_someone_allowed_gets_the_page(client, world, name):
    """The refusals above mean something only if the URL works for someone allowed."""
    if name not in CASES:
        pytest.fail(f"add a case for {name}")
    case = CASES[name]
    client.force_login(world[case.insider])
    method = "post" if case.post_only else "get"
    response = getattr(client, method)(_url(name, world), case.data if method == "post" else None)
    assert response.status_code in case.ok, f"{method.upper()} {name} as {case.insider}: {response.status_code}"
    if name in SHOWS_CHILD:
        # So the "no name, no reference" checks above look for something real.
        assert CHILD_REF in _body(response), f"{name} does not show the child to {case.insider}"


FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
POST = re.compile(r"""method\s*=\s*["']?post""", re.I)


@pytest.mark.parametrize("name", NAMES)
def test_every_form_that_posts_carries_a_csrf_token(client, world, name):
    if name not in CASES:
        pytest.fail(f"add a case for {name}")
    case = CASES[name]
    if case.post_only:
        return
    client.force_login(world[case.insider])
    response = client.get(_url(name, world))
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return
    html = _body(response)
    for attrs, inner in FORM.findall(html):
        if POST.search(attrs):
            assert 'name="csrfmiddlewaretoken"' in inner, f"{name}: a POST form without a CSRF token: <form{attrs}>"
    if re.search(r"\bhx-(post|put|patch|delete)\b", html):
        assert re.search(r"""hx-headers='\{"X-CSRFToken": "[^"]+"\}'""", html), f"{name}: htmx posts without a token"


def test_the_form_pages_are_checked(client, world):
    """The CSRF test above is not vacuous: these pages have POST forms of their own."""
    pages = {
        "reviews:rate": "lead",
        "reviews:confirm": "lead",
        "reviews:correct": "manager",
        "practice:peer_review_new": "manager",
        "peps:record": "officer",
        "practice:peer_review_detail": "manager",
        "reports:index": "manager",
        "reviews:worklist": "lead",
        "practice:supervision_edit": "manager",
        "practice:supervision_detail": "manager",
        "reports:commentary": "vsh",
    }
    for name, who in pages.items():
        client.force_login(world[who])
        html = _body(client.get(_url(name, world)))
        posting = [inner for attrs, inner in FORM.findall(html) if POST.search(attrs)]
        assert len(posting) >= 2, f"{name}: expected a form besides the sign-out button"
        assert all('name="csrfmiddlewaretoken"' in inner for inner in posting)


def test_the_outsider_really_is_outside(world):
    """The officer the tests use holds neither the child nor the PEP, nor any sample entry."""
    outsider, pep = world["outsider"], world["pep"]
    assert outsider.role == Role.OFFICER
    assert pep.officer_id != outsider.pk and pep.child.allocated_officer_id != outsider.pk
    assert not SampleEntry.objects.filter(assigned_to=outsider).exists()
    assert UserFactory._meta.model.objects.filter(pk=outsider.pk, line_manager=world["manager"]).count() == 0
