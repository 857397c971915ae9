"""web/navigation.py: the service navigation comes from one list of entries, each shown
exactly to those the access policy lets use its page (so the two cannot drift)."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.urls import reverse

from core.vocabulary import Role
from web.navigation import NAVIGATION, entries_for

from .factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = [Role.OFFICER, Role.MANAGER, Role.LEAD, Role.VSH, Role.ADMINISTRATOR]


def _user(role):
    user = UserFactory(role=role, is_staff=role == Role.ADMINISTRATOR)
    if role == Role.ADMINISTRATOR:
        user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.mark.parametrize("role", ROLES)
def test_every_entry_shown_opens_and_every_entry_hidden_is_refused(client, role):
    user = _user(role)
    shown = {entry["label"] for entry in entries_for(user)}
    client.force_login(user)
    for entry in NAVIGATION:
        status = client.get(reverse(entry.url_name)).status_code
        if entry.label in shown:
            assert status == 200, (role, entry.label, status)
        else:
            assert status in (302, 403, 404), (role, entry.label, status)


def test_each_role_sees_its_own_entries():
    labels = {role: [e["label"] for e in entries_for(_user(role))] for role in ROLES}
    assert labels[Role.OFFICER] == ["Home", "PEPs", "My development", "Gold exemplars"]
    assert labels[Role.MANAGER] == [
        *("Home", "PEPs", "QA worklist", "Coverage", "Moderation", "Peer review", "Supervision"),
        *("Learning", "Gold exemplars", "Reports"),
    ]
    # One-to-one supervision: held by managers and the VSH; an officer has their own page.
    assert [role for role in ROLES if "Supervision" in labels[role]] == [Role.MANAGER, Role.VSH]
    assert labels[Role.ADMINISTRATOR] == ["Home", "PEPs", "Coverage", "Reports", "Messages", "Imports", "Admin"]
    # Those who import files, and read the messages the service sent: the VSH and administrators.
    assert [role for role in ROLES if "Imports" in labels[role]] == [Role.VSH, Role.ADMINISTRATOR]
    assert [role for role in ROLES if "Messages" in labels[role]] == [Role.VSH, Role.ADMINISTRATOR]
    assert labels[Role.VSH][-1] == "Imports"


def test_the_current_section_is_marked(client):
    user = _user(Role.MANAGER)
    client.force_login(user)
    html = client.get(reverse("sampling:coverage")).content.decode()
    assert 'aria-current="page"><strong class="govuk-service-navigation__active-fallback">Coverage' in html
    assert html.count('aria-current="page"') == 1


def test_signed_out_there_is_no_navigation():
    assert entries_for(AnonymousUser()) == []
