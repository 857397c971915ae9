"""access/policy.py on one-to-one supervision: line management only (the officer, their
line manager, whoever held it, and the VSH); never a lead practitioner, an administrator
or another team."""

import pytest

from access.policy import supervisees, visible_actions, visible_supervisions
from core.vocabulary import Role

from .factories import PracticeActionFactory, SupervisionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(manager, officer, other_officer, lead, vsh, administrator):
    return {
        "mine": SupervisionFactory(officer=officer, manager=manager),
        "theirs": SupervisionFactory(officer=other_officer),
        "of_manager": SupervisionFactory(officer=manager, manager=vsh),
    }


def test_who_sees_which_supervisions(team, manager, officer, other_officer, lead, vsh, administrator):
    assert set(visible_supervisions(vsh)) == set(team.values())
    assert set(visible_supervisions(manager)) == {team["mine"], team["of_manager"]}
    assert set(visible_supervisions(officer)) == {team["mine"]}
    assert set(visible_supervisions(other_officer)) == {team["theirs"]}
    assert list(visible_supervisions(lead)) == []
    assert list(visible_supervisions(administrator)) == []


def test_who_may_supervise_whom(manager, officer, other_officer, other_manager, lead, vsh, administrator):
    assert list(supervisees(manager)) == [officer]
    assert set(supervisees(vsh)) >= {manager, officer, other_officer, other_manager, lead}
    assert administrator not in supervisees(vsh) and vsh not in supervisees(vsh)
    for nobody in (officer, lead, administrator):
        assert list(supervisees(nobody)) == []
    assert manager.has_perm("hvs.supervise", officer)
    assert not manager.has_perm("hvs.supervise", other_officer)
    assert not lead.has_perm("hvs.supervise", officer)


def test_who_edits_and_follows_up(team, manager, officer, other_manager, vsh, lead):
    mine = team["mine"]
    action = PracticeActionFactory(supervision=mine)
    for user, may in ((manager, True), (vsh, True), (officer, False), (other_manager, False), (lead, False)):
        assert user.has_perm("hvs.edit_supervision", mine) is may, user
        assert user.has_perm("hvs.follow_up_action", action) is may, user
    assert action in visible_actions(officer) and action not in visible_actions(other_manager)


@pytest.mark.parametrize(
    ("role", "hold", "own_page", "view"),
    [
        (Role.OFFICER, False, True, True),
        (Role.MANAGER, True, False, True),
        (Role.VSH, True, False, True),
        (Role.LEAD, False, False, False),
        (Role.ADMINISTRATOR, False, False, False),
    ],
)
def test_the_pages_permissions_by_role(role, hold, own_page, view):
    user = UserFactory(role=role)
    assert user.has_perm("hvs.hold_supervisions") is hold
    assert user.has_perm("hvs.view_my_development") is own_page
    assert user.has_perm("hvs.view_supervisions") is view


def test_an_inactive_manager_supervises_nobody(manager, officer):
    manager.is_active = False
    manager.save()
    assert list(supervisees(manager)) == []
    assert not manager.has_perm("hvs.hold_supervisions")
