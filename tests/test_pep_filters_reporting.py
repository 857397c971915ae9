"""The PEP list filters the reports link to: key stage, completion, social worker,
social care team and returned for amendment."""

from datetime import timedelta

import pytest

from core.vocabulary import YEAR_GROUPS, key_stage
from peps.models import Pep, PepStatus, PepStatusChange
from web.peps.filters import KEY_STAGE_RANGES, PepFilter

from .factories import ChildFactory, PepFactory, SocialCareTeamFactory, SocialWorkerFactory, TermFactory

pytestmark = pytest.mark.django_db


def found(**data) -> set[str]:
    pep_filter = PepFilter(data, queryset=Pep.objects.all())
    assert pep_filter.is_valid(), pep_filter.errors
    return {pep.child.first_name for pep in pep_filter.qs}


@pytest.fixture
def term():
    return TermFactory()


def make(term, name, **kwargs):
    child_year = kwargs.pop("child_year", 5)
    team = kwargs.pop("team", None)
    child = ChildFactory(
        first_name=name, year_group=child_year, **({"social_worker": SocialWorkerFactory(team=team)} if team else {})
    )
    kwargs.setdefault("year_group", child_year)
    return PepFactory(child=child, term=term, **kwargs)


def test_key_stage_ranges_agree_with_key_stage():
    for year, _label in YEAR_GROUPS:
        low, high = KEY_STAGE_RANGES[key_stage(year)]
        assert (low is None or low <= year) and (high is None or year <= high)
    assert list(KEY_STAGE_RANGES) == ["EYFS", "KS1", "KS2", "KS3", "KS4", "KS5"]


def test_key_stage_uses_the_peps_year_group_else_the_childs(term):
    make(term, "Nursery", child_year=-1)
    make(term, "Reception", child_year=0)
    make(term, "Year2", child_year=2)
    make(term, "Year3", child_year=3)
    make(term, "Year9", child_year=9)
    make(term, "Year11", child_year=11)
    make(term, "Year13", child_year=13)
    # Year 6 in the PEP's term, Year 7 now: the PEP's own year group counts.
    make(term, "WasYear6", child_year=7, year_group=6)
    # No year group recorded on the PEP: the child's.
    make(term, "Unrecorded", child_year=10, year_group=None)
    assert found(key_stage="EYFS") == {"Nursery", "Reception"}
    assert found(key_stage="KS1") == {"Year2"}
    assert found(key_stage="KS2") == {"Year3", "WasYear6"}
    assert found(key_stage="KS3") == {"Year9"}
    assert found(key_stage="KS4") == {"Year11", "Unrecorded"}
    assert found(key_stage="KS5") == {"Year13"}


def test_completion(term):
    make(term, "Early", date_completed=term.pep_deadline - timedelta(days=3))
    make(term, "OnTheDay", date_completed=term.pep_deadline)
    make(term, "Late", date_completed=term.pep_deadline + timedelta(days=1))
    make(term, "NotDone", date_completed=None)
    assert found(completion="completed") == {"Early", "OnTheDay", "Late"}
    assert found(completion="on_time") == {"Early", "OnTheDay"}
    assert found(completion="late") == {"Late"}
    assert found(completion="not_completed") == {"NotDone"}


def test_social_worker_attendance_only_counts_meetings_held_past_draft(term):
    make(term, "Attended", sw_attended=True)
    make(term, "Absent", sw_attended=False)
    make(term, "NoMeeting", sw_attended=False, meeting_date=None)
    make(term, "Draft", sw_attended=False, status=PepStatus.DRAFT)
    assert found(sw_attended="yes") == {"Attended"}
    assert found(sw_attended="no") == {"Absent"}


def test_social_worker_section(term):
    make(term, "Updated", sw_section_updated=True)
    make(term, "NotUpdated", sw_section_updated=False)
    make(term, "Draft", sw_section_updated=False, status=PepStatus.DRAFT)
    assert found(sw_section="updated") == {"Updated"}
    assert found(sw_section="not_updated") == {"NotUpdated"}


def test_social_care_team(term):
    north, south = SocialCareTeamFactory(name="North"), SocialCareTeamFactory(name="South")
    make(term, "N1", team=north, sw_attended=True)
    make(term, "N2", team=north, sw_attended=False)
    make(term, "S1", team=south, sw_attended=False)
    assert found(team=north.pk) == {"N1", "N2"}
    assert found(team=north.pk, sw_attended="no") == {"N2"}
    assert not PepFilter({"team": 999999}, queryset=Pep.objects.all()).is_valid()


def test_returned_for_amendment_ever(term):
    returned = make(term, "StillReturned", status=PepStatus.RETURNED)
    amended = make(term, "Amended", status=PepStatus.FINALISED)
    make(term, "Never", status=PepStatus.FINALISED)
    PepStatusChange.objects.create(pep=returned, from_status=PepStatus.SUBMITTED, to_status=PepStatus.RETURNED)
    PepStatusChange.objects.create(pep=amended, from_status=PepStatus.SUBMITTED, to_status=PepStatus.RETURNED)
    PepStatusChange.objects.create(pep=amended, from_status=PepStatus.RETURNED, to_status=PepStatus.SUBMITTED)
    PepStatusChange.objects.create(pep=amended, from_status=PepStatus.SUBMITTED, to_status=PepStatus.FINALISED)
    assert found(returned="yes") == {"StillReturned", "Amended"}
    assert found(returned="amended") == {"Amended"}
    # Returned in another term: not this term's PEP.
    other = make(TermFactory(), "OtherTerm", status=PepStatus.RETURNED)
    PepStatusChange.objects.create(pep=other, from_status=PepStatus.SUBMITTED, to_status=PepStatus.RETURNED)
    assert found(returned="yes", term=term.pk) == {"StillReturned", "Amended"}


def test_good_or_better_and_judged(term):
    for name, judgement in [("G", "gold"), ("Gr", "green"), ("A", "amber"), ("R", "red"), ("N", "")]:
        make(term, name, judgement=judgement)
    assert found(judgement="good") == {"G", "Gr"}
    assert found(judgement="judged") == {"G", "Gr", "A", "R"}
    assert found(judgement="none") == {"N"}


def test_the_new_filters_show_in_the_list(client, vsh, term):
    SocialCareTeamFactory(name="Children in Care Team 1")
    client.force_login(vsh)
    body = client.get("/peps/").content.decode()
    for name in ("key_stage", "completion", "sw_attended", "sw_section", "team", "returned"):
        assert f'name="{name}"' in body
    assert "Children in Care Team 1</option>" in body
    assert 'class="govuk-select"' in body
