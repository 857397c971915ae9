"""peps.services: opening a child's PEP for a term, recording its meeting, submitting it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.vocabulary import Phase
from peps.models import Pep, PepStatus, PepStatusChange
from peps.services import AlreadySubmitted, open_pep, record_pep_meeting, submit_pep
from peps.signals import pep_submitted

from .factories import ChildFactory, PepFactory, TermFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(officer):
    child = ChildFactory(allocated_officer=officer, year_group=5)
    return PepFactory(child=child, status=PepStatus.DRAFT, meeting_date=None)


@pytest.fixture
def sent():
    """The ``pep_submitted`` signals sent during the test."""
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    pep_submitted.connect(receiver, dispatch_uid="test-pep-services")
    yield received
    pep_submitted.disconnect(dispatch_uid="test-pep-services")


# --- open_pep ---------------------------------------------------------------------------


def test_open_pep_makes_a_draft_held_by_the_childs_officer(officer):
    child = ChildFactory(allocated_officer=officer, year_group=12)
    term = TermFactory()

    pep = open_pep(child, term)

    assert (pep.child, pep.term, pep.officer, pep.status) == (child, term, officer, PepStatus.DRAFT)
    assert (pep.phase, pep.year_group) == (Phase.POST16, 12)
    assert pep.meeting_date is None


def test_open_pep_returns_the_pep_there_is(pep):
    assert open_pep(pep.child, pep.term) == pep
    assert Pep.objects.filter(child=pep.child).count() == 1


# --- record_pep_meeting -------------------------------------------------------------------


def test_record_the_meeting(draft, officer):
    met = timezone.localdate() - timedelta(days=2)
    pep = record_pep_meeting(
        draft,
        officer,
        meeting_date=met,
        next_meeting_date=met + timedelta(weeks=12),
        sw_attended=True,
        dt_attended=True,
        child_attended=False,
        carer_attended=True,
        sw_section_updated=True,
        pp_plus_requested=True,
        pp_plus_amount=Decimal("450.50"),
        attendance_percent=Decimal("93.5"),
        child_views="I like reading.",
        targets="Read daily.",
    )

    pep.refresh_from_db()
    assert pep.status == PepStatus.DRAFT
    assert (pep.meeting_date, pep.next_meeting_date) == (met, met + timedelta(weeks=12))
    assert (pep.sw_attended, pep.dt_attended, pep.child_attended, pep.carer_attended) == (True, True, False, True)
    assert (pep.sw_section_updated, pep.pp_plus_requested, pep.pp_plus_amount) == (True, True, Decimal("450.50"))
    assert pep.attendance_percent == Decimal("93.5")
    assert (pep.child_views, pep.targets) == ("I like reading.", "Read daily.")
    assert not PepStatusChange.objects.filter(pep=pep).exists()  # no status change: still a draft


def test_fields_not_given_stay_as_they_are(draft, officer):
    record_pep_meeting(draft, officer, child_views="First words.", attendance_percent=Decimal("90"))
    record_pep_meeting(draft, officer, targets="A target.")

    draft.refresh_from_db()
    assert (draft.child_views, draft.attendance_percent, draft.targets) == ("First words.", Decimal("90"), "A target.")


def test_no_to_pp_plus_drops_the_amount(draft, officer):
    record_pep_meeting(draft, officer, pp_plus_requested=True, pp_plus_amount=Decimal("300"))
    record_pep_meeting(draft, officer, pp_plus_requested=False)

    draft.refresh_from_db()
    assert (draft.pp_plus_requested, draft.pp_plus_amount) == (False, None)


def test_values_as_strings_are_read_as_the_model_reads_them(draft, officer):
    """An import may hand over text: the model's own checks turn it into numbers and dates."""
    pep = record_pep_meeting(draft, officer, meeting_date="2001-10-02", attendance_percent="88.5")
    assert (pep.meeting_date, pep.attendance_percent) == (date(2001, 10, 2), Decimal("88.5"))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"meeting_date": date(2001, 10, 2), "next_meeting_date": date(2001, 10, 2)}, "next_meeting_date"),
        ({"meeting_date": date(2001, 10, 2), "next_meeting_date": date(2001, 9, 1)}, "next_meeting_date"),
        ({"attendance_percent": Decimal("100.1")}, "attendance_percent"),
        ({"attendance_percent": Decimal("-1")}, "attendance_percent"),
        ({"pp_plus_requested": True, "pp_plus_amount": Decimal("0")}, "pp_plus_amount"),
        ({"pp_plus_requested": True, "pp_plus_amount": Decimal("1000000")}, "pp_plus_amount"),  # 8 digits, 2 places
        ({"meeting_date": "2001-02-31"}, "meeting_date"),
    ],
)
def test_values_that_do_not_hang_together_are_refused_by_field(draft, officer, fields, field):
    before = Pep.objects.filter(pk=draft.pk).values().get()

    with pytest.raises(ValidationError) as refused:
        record_pep_meeting(draft, officer, **fields)

    assert field in refused.value.message_dict
    assert Pep.objects.filter(pk=draft.pk).values().get() == before


@pytest.mark.parametrize("status", [PepStatus.SUBMITTED, PepStatus.RETURNED, PepStatus.FINALISED])
def test_only_a_draft_records_its_meeting(draft, officer, status):
    Pep.objects.filter(pk=draft.pk).update(status=status)

    with pytest.raises(ValidationError, match="only be recorded while it is a draft"):
        record_pep_meeting(draft, officer, child_views="Changed after QA")

    draft.refresh_from_db()
    assert draft.child_views == ""


def test_a_stale_copy_of_a_submitted_pep_records_nothing(draft, officer):
    """The caller's copy says draft; the row says submitted (another tab): the row wins."""
    Pep.objects.filter(pk=draft.pk).update(status=PepStatus.SUBMITTED)
    assert draft.status == PepStatus.DRAFT

    with pytest.raises(ValidationError):
        record_pep_meeting(draft, officer, targets="Late change")
    assert Pep.objects.get(pk=draft.pk).targets == ""


def test_a_field_it_does_not_record_is_a_programming_error(draft, officer):
    with pytest.raises(TypeError, match="status"):
        record_pep_meeting(draft, officer, status=PepStatus.FINALISED)
    with pytest.raises(TypeError, match="judgement"):
        record_pep_meeting(draft, officer, judgement="gold")


# --- submit_pep ---------------------------------------------------------------------------


def test_submit_a_draft(draft, officer, sent):
    pep = submit_pep(draft, officer, note="All sections complete.")

    assert pep.status == PepStatus.SUBMITTED
    assert Pep.objects.get(pk=draft.pk).status == PepStatus.SUBMITTED
    change = PepStatusChange.objects.get(pep=draft)
    assert (change.from_status, change.to_status, change.changed_by, change.note) == (
        PepStatus.DRAFT,
        PepStatus.SUBMITTED,
        officer,
        "All sections complete.",
    )
    assert [kwargs["pep"].pk for kwargs in sent] == [draft.pk]
    assert sent[0]["by"] == officer


def test_submitting_records_the_date_completed(draft, officer):
    assert submit_pep(draft, officer).date_completed == timezone.localdate()


def test_submitting_keeps_a_date_completed_already_recorded_or_takes_the_one_given(officer):
    kept = PepFactory(
        child=ChildFactory(allocated_officer=officer), status=PepStatus.DRAFT, date_completed=date(2001, 10, 1)
    )
    given = PepFactory(child=ChildFactory(allocated_officer=officer), status=PepStatus.DRAFT)

    assert submit_pep(kept, officer).date_completed == date(2001, 10, 1)
    assert submit_pep(given, None, completed_on=date(2001, 10, 5)).date_completed == date(2001, 10, 5)


def test_submitting_twice_answers_already_submitted_and_changes_nothing(draft, officer, sent):
    """A double click: the second submit, with the caller's stale draft copy, is refused
    under the row lock, with no second history line and no second signal."""
    submit_pep(draft, officer)
    assert draft.status == PepStatus.DRAFT  # the caller's copy, as a second request has it
    first = Pep.objects.values("status", "date_completed", "updated_at").get(pk=draft.pk)

    with pytest.raises(AlreadySubmitted, match="already been submitted for QA") as again:
        submit_pep(draft, officer)

    assert isinstance(again.value, ValidationError)
    assert PepStatusChange.objects.filter(pep=draft).count() == 1
    assert Pep.objects.values("status", "date_completed", "updated_at").get(pk=draft.pk) == first
    assert len(sent) == 1


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (PepStatus.RETURNED, "mark it as amended"),
        (PepStatus.FINALISED, "Only a draft PEP can be submitted for QA: this one is finalised."),
    ],
)
def test_only_a_draft_is_submitted(officer, sent, status, message):
    pep = PepFactory(child=ChildFactory(allocated_officer=officer), status=status)

    with pytest.raises(ValidationError, match=message) as refused:
        submit_pep(pep, officer)

    assert not isinstance(refused.value, AlreadySubmitted)
    assert Pep.objects.get(pk=pep.pk).status == status
    assert not PepStatusChange.objects.filter(pep=pep).exists()
    assert sent == []
