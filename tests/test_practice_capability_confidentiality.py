"""The capability process is confidential: nowhere but where it is meant to be.

An open process whose notes carry a unique marker, for the officer of the URL guards'
world (tests/test_url_guards.py). Then, as EVERY role (the officer themself, another
officer, the line manager, another manager, a lead, an administrator with the admin, a
superuser without the VSH role, the VSH), every GET route of the project (walked from the
root resolver, with the guards' cases: a page added later is covered as soon as it has
its case there), every export and download among them, the admin's changelists and its
search (for the staff), and the PEP list's search: the marker, and any mention of
"capability", appear ONLY to the line manager and the VSH, and only on the pages meant to
show them.
"""

import io
import re
import zipfile
from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from core.vocabulary import Role
from notices.models import Notice
from practice.models import CapabilityConcern
from practice.reminders import send_action_reminders

from . import test_url_guards as guards
from .factories import PracticeActionFactory, SupervisionFactory, UserFactory

pytestmark = pytest.mark.django_db

world = guards.world  # the URL guards' world, reused as it is

MARKER = "Marker-CAP-8K2J"
ROLES = ["officer", "outsider", "manager", "other_manager", "lead", "administrator", "superuser", "vsh"]
# Where each may see what: the notes on the process's own page, to the line manager and
# the VSH; the process named ("Capability process open", a link to it) also on the line
# manager's start page (and the VSH's, for their own line reports), in who needs supervision.
SHOWS_NOTES = {"practice:capability": {"manager", "vsh"}}
SHOWS_MENTION = {"practice:capability": {"manager", "vsh"}, "home": {"manager", "vsh"}}


@pytest.fixture
def people(world, other_manager):
    """Every role, by name; the administrator and the superuser have the admin."""
    administrator = UserFactory(role=Role.ADMINISTRATOR, username="administrator", is_staff=True)
    superuser = UserFactory(role=Role.ADMINISTRATOR, username="breakglass", is_staff=True, is_superuser=True)
    return {
        **{name: world[name] for name in ("officer", "outsider", "manager", "lead", "vsh")},
        "other_manager": other_manager,
        "administrator": administrator,
        "superuser": superuser,
    }


@pytest.fixture
def concern(world):
    officer, manager = world["officer"], world["manager"]
    today = timezone.localdate()
    concern = CapabilityConcern.objects.create(
        officer=officer, opened_by=manager, opened_on=today, notes=f"Stage one agreed. {MARKER}"
    )
    # An overdue action: the officer needs supervision, so the line manager's start page
    # lists them (with the process's tag and link).
    supervision = SupervisionFactory(officer=officer, manager=manager, date=today - timedelta(days=60))
    PracticeActionFactory(supervision=supervision, due=today - timedelta(days=7), description="Set SMART targets")
    return concern


# Not about anyone: the admin's list of Django's model permissions names every model
# ("practice | capability concern | Can view capability concern").
MODEL_PERMISSIONS = re.compile(
    r"(practice \| )?capability concern \| Can \w+ capability concern|Can \w+ capability concern"
)


def _text(response) -> str:
    """What a response shows: the page, or the text inside a spreadsheet (a zip); less the
    address asked for (a page may repeat it: a sign-out's "next"), which is the asker's own
    typing, and the admin's names of model permissions."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    if raw[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            text = " ".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    else:
        text = raw.decode("utf-8", "replace")
    for asked in {response.wsgi_request.path, *(url for url, _status in getattr(response, "redirect_chain", []))}:
        text = text.replace(asked, "")
    return MODEL_PERMISSIONS.sub("", text)


def _where(name: str, response) -> str:
    """The page a request ended on (a signed-in user's sign-in page goes on to home)."""
    final = response.resolver_match.view_name if response.resolver_match else name
    return name if final == name else f"{final} (from {name})"


def _check(seen: dict[str, str], who: str) -> list[str]:
    leaks = []
    for where, text in seen.items():
        name = where.split(" ", 1)[0]
        if MARKER in text and who not in SHOWS_NOTES.get(name, ()):
            leaks.append(f"{where} shows the notes to {who}")
        if "capability" in text.lower() and who not in SHOWS_MENTION.get(name, ()):
            leaks.append(f"{where} mentions the capability process to {who}")
    return leaks


# Each role's walk in PARTS slices (every PARTS-th page), to keep each test short.
PARTS = 3


def _pages(client, world, part: int) -> dict[str, str]:
    seen = {}
    for name in guards.NAMES[part::PARTS]:
        case = guards.CASES.get(name)
        if case is None:
            pytest.fail(f"add a case for {name} in tests/test_url_guards.py")
        if case.post_only or name == "logout":
            continue
        response = client.get(guards._url(name, world), follow=True)
        seen[_where(name, response)] = _text(response)
    return seen


def _searches(client, world) -> dict[str, str]:
    """The PEP list's search, for the officer (the text stays in the session)."""
    officer = world["officer"]
    seen = {}
    for text in (officer.last_name, officer.username):
        response = client.post(reverse("peps:list"), {"q": text}, follow=True)
        seen[f"peps:list search {text}"] = _text(response)
    return seen


def _admin(client, world, part: int) -> dict[str, str]:
    """Every changelist, its search for the officer, and the officer's own record."""
    officer = world["officer"]
    seen = {}
    if part == 0:
        seen["admin:index"] = _text(client.get(reverse("admin:index")))
        seen["admin officer"] = _text(client.get(reverse("admin:accounts_user_change", args=[officer.pk])))
        seen["admin history"] = _text(client.get(reverse("admin:accounts_user_history", args=[officer.pk])))
    for model, model_admin in list(admin.site._registry.items())[part::PARTS]:
        label = f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        url = reverse(label)
        seen[label] = _text(client.get(url))
        if model_admin.search_fields:
            seen[f"{label} search"] = _text(client.get(url, {"q": officer.last_name}))
    return seen


@pytest.mark.parametrize("part", range(PARTS))
@pytest.mark.parametrize("who", ROLES)
def test_the_capability_process_is_shown_only_where_it_is_meant_to_be(client, world, people, concern, who, part):
    client.force_login(people[who])
    seen = {**_pages(client, world, part), **(_searches(client, world) if part == 0 else {})}
    assert len(seen) > len(guards.NAMES) // PARTS // 2, "the walk found too few pages to mean anything"
    leaks = _check(seen, who)
    assert not leaks, "\n".join(leaks)
    # And it is there for those who may see it, so the checks above look for something real.
    for name, allowed in SHOWS_NOTES.items():
        if name in seen:
            assert (MARKER in seen[name]) == (who in allowed), f"{name} as {who}"
    if who == "manager" and "home" in seen:
        assert "Capability process open" in seen["home"]


def test_every_page_is_walked():
    walked = [name for part in range(PARTS) for name in guards.NAMES[part::PARTS]]
    assert sorted(walked) == sorted(guards.NAMES)
    assert {"home", "practice:capability"} <= set(guards.NAMES)


@pytest.mark.parametrize("who", ROLES)
def test_the_page_is_not_found_for_everyone_else(client, world, people, concern, who):
    """Like a page that does not exist; the notes there for those who may see them."""
    client.force_login(people[who])
    response = client.get(reverse("practice:capability", kwargs={"officer_pk": world["officer"].pk}))
    allowed = who in SHOWS_NOTES["practice:capability"]
    assert response.status_code == (200 if allowed else 404)
    assert (MARKER in response.content.decode()) == allowed


@pytest.mark.parametrize("part", range(PARTS))
@pytest.mark.parametrize("who", ["administrator", "superuser"])
def test_nor_in_the_admin(client, world, people, concern, who, part):
    """The admin (for the staff): no model admin of it, its audit entries left out."""
    client.force_login(people[who])
    seen = _admin(client, world, part)
    assert len(seen) > 5
    leaks = _check(seen, who)
    assert not leaks, "\n".join(leaks)


def test_the_check_finds_a_leak():
    """The check above can fail: a page showing the notes, or naming the process."""
    assert _check({"peps:list": f"notes {MARKER}"}, "manager") == ["peps:list shows the notes to manager"]
    assert _check({"home": "Capability process open"}, "lead") == ["home mentions the capability process to lead"]
    assert _check({"home": "Capability process open"}, "manager") == []


def test_the_reminder_messages_do_not_mention_it(world, concern):
    """Messages the app writes (the action reminders here) stay clear of it."""
    world["officer"].email = "officer@example.org"
    world["officer"].save()
    assert send_action_reminders().sent == 1
    for notice in Notice.objects.select_related("email"):
        assert MARKER not in notice.email.message and "capability" not in notice.email.message.lower()
