"""The pages that record a PEP meeting and submit the PEP for QA (web/peps): who may use
them, what they refuse, what they keep, and the worklist entry that moves on."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peps.models import Pep, PepStatus, PepStatusChange, Term
from sampling.models import SampleEntry
from sampling.services import draw_term_samples

from .factories import ChildFactory, PepFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HELD = TODAY - timedelta(days=3)


@pytest.fixture
def child(officer, pep):
    """A child of ``officer`` with no PEP this term (``pep``'s term, the current one)."""
    return ChildFactory(allocated_officer=officer, first_name="Nopep", last_name="Yetchild")


@pytest.fixture
def draft(officer, pep):
    return PepFactory(
        child=ChildFactory(allocated_officer=officer), term=pep.term, status=PepStatus.DRAFT, meeting_date=None
    )


def answers(**changes) -> dict:
    """A complete POST of the meeting form: a meeting held three days ago."""
    data = {
        "meeting_date_0": str(HELD.day),
        "meeting_date_1": str(HELD.month),
        "meeting_date_2": str(HELD.year),
        "attendees": ["sw", "dt", "carer"],
        "sw_section_updated": "yes",
        "attendance_percent": "94.5",
        "pp_plus_requested": "yes",
        "pp_plus_amount": "450.50",
        "next_meeting_date_0": "1",
        "next_meeting_date_1": "3",
        "next_meeting_date_2": str(HELD.year + 1),
        "child_views": "I like reading.",
        "education_summary": "",
        "attainment_summary": "",
        "targets": "Read daily.",
        "aspirations_summary": "",
        "action": "save",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- who may ------------------------------------------------------------------------------

# The child's officer, their line manager and the VSH; another team is not found; a lead
# practitioner and an administrator see the PEP (the whole school) but may not record it.
ROLES = [
    ("officer", "ok"),
    ("other_officer", 404),
    ("manager", "ok"),
    ("other_manager", 404),
    ("lead", 403),
    ("vsh", "ok"),
    ("administrator", 403),
]


@pytest.mark.parametrize(("role", "expected"), ROLES, ids=[r for r, _ in ROLES])
def test_who_may_record_a_meeting(client, request, draft, child, other_pep, role, expected):
    client.force_login(request.getfixturevalue(role))
    for url in (reverse("peps:record", args=[draft.pk]), reverse("peps:record_new", args=[child.pk])):
        response = client.get(url)
        assert response.status_code == (200 if expected == "ok" else expected), url
        if expected != "ok":
            assert child.last_name not in response.content.decode()
            assert draft.child.la_reference not in response.content.decode()
        response = client.post(url, answers())
        assert response.status_code == (302 if expected == "ok" else expected), url
    recorded = Pep.objects.filter(child__in=[draft.child, child], meeting_date=HELD).count()
    assert recorded == (2 if expected == "ok" else 0)


@pytest.mark.parametrize(("role", "expected"), ROLES, ids=[r for r, _ in ROLES])
def test_who_may_submit_for_qa(client, request, draft, other_pep, role, expected):
    Pep.objects.filter(pk=draft.pk).update(meeting_date=HELD)
    client.force_login(request.getfixturevalue(role))
    url = reverse("peps:submit", args=[draft.pk])

    assert client.get(url).status_code == (200 if expected == "ok" else expected)
    response = client.post(url)

    if expected == "ok":
        assert response["Location"] == reverse("peps:detail", args=[draft.pk])
        assert Pep.objects.get(pk=draft.pk).status == PepStatus.SUBMITTED
    else:
        assert response.status_code == expected
        assert Pep.objects.get(pk=draft.pk).status == PepStatus.DRAFT
        assert not PepStatusChange.objects.exists()


def test_an_unknown_id_is_not_found(client, officer, pep):
    client.force_login(officer)
    for url in (
        reverse("peps:record", args=[999999]),
        reverse("peps:submit", args=[999999]),
        reverse("peps:record_new", args=[999999]),
    ):
        assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, draft, child):
    for url in (
        reverse("peps:record", args=[draft.pk]),
        reverse("peps:submit", args=[draft.pk]),
        reverse("peps:record_new", args=[child.pk]),
    ):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))


# --- a child with no PEP this term ----------------------------------------------------------


def test_the_page_for_a_child_with_no_pep_opens_nothing_until_saved(client, officer, child):
    client.force_login(officer)
    html = text(client.get(reverse("peps:record_new", args=[child.pk])))
    assert "Record the PEP meeting" in html
    assert "There is no PEP for this term yet" in html
    assert not Pep.objects.filter(child=child).exists()

    response = client.post(reverse("peps:record_new", args=[child.pk]), answers())

    pep = Pep.objects.get(child=child)
    assert response["Location"] == reverse("peps:record", args=[pep.pk])
    assert (pep.term, pep.officer, pep.status) == (Term.objects.current(), officer, PepStatus.DRAFT)
    assert "PEP meeting saved as a draft" in messages_of(response)[0]


def test_a_child_with_a_pep_this_term_goes_to_that_pep(client, officer, draft):
    client.force_login(officer)
    response = client.get(reverse("peps:record_new", args=[draft.child_id]))
    assert response["Location"] == reverse("peps:record", args=[draft.pk])


def test_no_term_set_up_is_not_found(client, officer):
    child = ChildFactory(allocated_officer=officer)
    client.force_login(officer)
    assert client.get(reverse("peps:record_new", args=[child.pk])).status_code == 404


def test_a_refused_first_save_opens_no_pep(client, officer, child):
    client.force_login(officer)
    response = client.post(
        reverse("peps:record_new", args=[child.pk]), answers(meeting_date_0="31", meeting_date_1="2")
    )
    assert "There is a problem" in text(response)
    assert not Pep.objects.filter(child=child).exists()


# --- saving a draft, and what is kept -----------------------------------------------------


def test_saving_keeps_the_draft_and_shows_it_again(client, officer, draft):
    client.force_login(officer)
    url = reverse("peps:record", args=[draft.pk])

    response = client.post(url, answers())

    assert response["Location"] == url
    draft.refresh_from_db()
    assert draft.status == PepStatus.DRAFT
    assert (draft.meeting_date, draft.sw_attended, draft.dt_attended, draft.child_attended, draft.carer_attended) == (
        HELD,
        True,
        True,
        False,
        True,
    )
    assert (draft.sw_section_updated, draft.pp_plus_requested, str(draft.pp_plus_amount)) == (True, True, "450.50")
    assert str(draft.attendance_percent) == "94.5"
    assert (draft.child_views, draft.targets) == ("I like reading.", "Read daily.")
    html = text(client.get(url))
    assert f'name="meeting_date_0" value="{HELD.day}"' in html
    for value in ("sw", "dt", "carer"):
        assert _checked(html, "attendees", value)
    assert not _checked(html, "attendees", "child")
    assert _checked(html, "sw_section_updated", "yes")
    assert 'value="450.50"' in html
    assert "I like reading." in html


def _checked(html: str, name: str, value: str) -> bool:
    for tag in re.findall(r"<input[^>]*>", html, re.S):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return "checked" in tag
    raise AssertionError(f"no input {name}={value}")


def test_a_draft_may_be_saved_half_done(client, officer, draft):
    client.force_login(officer)
    response = client.post(reverse("peps:record", args=[draft.pk]), {"child_views": "Just this.", "action": "save"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.child_views, draft.meeting_date, draft.pp_plus_requested) == ("Just this.", None, False)


def test_a_draft_may_hold_the_date_the_meeting_is_booked_for(client, officer, draft):
    booked = TODAY + timedelta(days=10)
    client.force_login(officer)
    response = client.post(
        reverse("peps:record", args=[draft.pk]),
        answers(
            meeting_date_0=str(booked.day),
            meeting_date_1=str(booked.month),
            meeting_date_2=str(booked.year),
            next_meeting_date_2=str(booked.year + 1),
        ),
    )
    assert response.status_code == 302
    assert Pep.objects.get(pk=draft.pk).meeting_date == booked


# --- bad input: a form error, never a server error, and what was typed is kept ------------

BAD_DATES = [
    (("31", "2", "2026"), "The date of the PEP meeting must be a real date"),
    (("1", "13", "2026"), "The date of the PEP meeting must be a real date"),
    (("1", "1", "99999"), "Year must include 4 numbers"),
    (("1", "1", "26"), "Year must include 4 numbers"),
    (("99999999999999999999", "1", "2026"), "The date of the PEP meeting must be a real date"),
    (("x", "y", "zzzz"), "The date of the PEP meeting must be a real date"),
    (("١", "٢", "٢٠٢٦"), "The date of the PEP meeting must be a real date"),  # digits, not ASCII ones
    (("12", "", ""), "The date of the PEP meeting must include a month and a year"),
    (("", "3", "2026"), "The date of the PEP meeting must include a day"),
]


@pytest.mark.parametrize(("typed", "message"), BAD_DATES, ids=["-".join(t) for t, _ in BAD_DATES])
def test_a_bad_date_is_a_form_error_that_keeps_what_was_typed(client, officer, draft, typed, message):
    client.force_login(officer)
    day, month, year = typed
    response = client.post(
        reverse("peps:record", args=[draft.pk]),
        answers(
            meeting_date_0=day,
            meeting_date_1=month,
            meeting_date_2=year,
            next_meeting_date_0="",
            next_meeting_date_1="",
            next_meeting_date_2="",
        ),
    )
    html = text(response)
    assert "<title>Error: Record the PEP meeting" in html
    assert "There is a problem" in html
    assert f'<a href="#id_meeting_date_0">{message}</a>' in html
    for name, value in zip(("meeting_date_0", "meeting_date_1", "meeting_date_2"), typed, strict=True):
        assert f'name="{name}" value="{value}"' in html or (value == "" and f'name="{name}"' in html)
    assert 'value="I like reading."' not in html and "I like reading." in html  # the textarea kept
    assert Pep.objects.get(pk=draft.pk).meeting_date is None


@pytest.mark.parametrize(
    ("typed", "highlighted"),
    [
        (("12", "3", ""), ["meeting_date_2"]),
        (("", "", "2026"), ["meeting_date_0", "meeting_date_1"]),
        (("1", "13", "2026"), ["meeting_date_1"]),
        (("31", "2", "2026"), ["meeting_date_0", "meeting_date_1", "meeting_date_2"]),  # the date as a whole
    ],
)
def test_the_parts_of_the_date_at_fault_are_highlighted(client, officer, draft, typed, highlighted):
    client.force_login(officer)
    day, month, year = typed
    html = text(
        client.post(
            reverse("peps:record", args=[draft.pk]),
            answers(meeting_date_0=day, meeting_date_1=month, meeting_date_2=year),
        )
    )
    inputs = {
        name: tag
        for tag in re.findall(r"<input[^>]*>", html, re.S)
        if (name := re.search(r'name="(meeting_date_\d)"', tag)) and (name := name[1])
    }
    assert sorted(name for name, tag in inputs.items() if "govuk-input--error" in tag) == highlighted


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"attendance_percent": "lots"}, "attendance_percent", "Enter attendance as a number, like 94.5"),
        ({"attendance_percent": "150"}, "attendance_percent", "Attendance must be 100% or less"),
        ({"attendance_percent": "1e400"}, "attendance_percent", "Attendance must be 100% or less"),
        ({"attendance_percent": "NaN"}, "attendance_percent", "Enter attendance as a number, like 94.5"),
        ({"attendance_percent": "94.55"}, "attendance_percent", "no more than 1 decimal place"),
        ({"pp_plus_amount": "0"}, "pp_plus_amount", "must be more than £0"),
        ({"pp_plus_amount": "12345678"}, "pp_plus_amount", "must be less than £1,000,000"),
        ({"pp_plus_requested": "no"}, "pp_plus_amount", "Remove the amount, or select yes if PP+ was requested"),
        ({"pp_plus_requested": "maybe"}, "pp_plus_requested", "Select yes if PP+ was requested"),
        ({"attendees": ["sw", "headteacher"]}, "attendees", "Select who attended from the list"),
        (
            {
                "next_meeting_date_0": str(HELD.day),
                "next_meeting_date_1": str(HELD.month),
                "next_meeting_date_2": str(HELD.year),
            },
            "next_meeting_date",
            "The next meeting must be after the meeting",
        ),
    ],
)
def test_bad_values_are_form_errors(client, officer, draft, changes, field, message):
    client.force_login(officer)
    html = text(client.post(reverse("peps:record", args=[draft.pk]), answers(**changes)))
    assert "There is a problem" in html
    assert message in html
    assert 'class="govuk-error-message"' in html
    assert Pep.objects.get(pk=draft.pk).meeting_date is None  # nothing saved


def test_amounts_are_read_as_people_type_them(client, officer, draft):
    client.force_login(officer)
    client.post(
        reverse("peps:record", args=[draft.pk]), answers(attendance_percent=" 94.5% ", pp_plus_amount="£1,250.50")
    )
    draft.refresh_from_db()
    assert (str(draft.attendance_percent), str(draft.pp_plus_amount)) == ("94.5", "1250.50")


def test_continuing_needs_the_meeting_and_the_answers(client, officer, draft):
    client.force_login(officer)
    html = text(client.post(reverse("peps:record", args=[draft.pk]), {"action": "continue", "targets": "Kept"}))
    for message in (
        "Enter the date of the PEP meeting",
        "Select yes if the social worker has updated their section of the PEP",
        "Select yes if PP+ was requested",
    ):
        assert message in html
    assert "Kept" in html
    assert Pep.objects.get(pk=draft.pk).targets == ""


def test_continuing_needs_a_meeting_already_held(client, officer, draft):
    booked = TODAY + timedelta(days=10)
    client.force_login(officer)
    html = text(
        client.post(
            reverse("peps:record", args=[draft.pk]),
            answers(
                action="continue",
                meeting_date_0=str(booked.day),
                meeting_date_1=str(booked.month),
                meeting_date_2=str(booked.year),
                next_meeting_date_2=str(booked.year + 1),
            ),
        )
    )
    assert "The date of the PEP meeting must be today or in the past" in html


# --- check your answers, then submit ------------------------------------------------------


def test_continue_then_check_then_submit(client, officer, draft):
    client.force_login(officer)
    response = client.post(
        reverse("peps:record", args=[draft.pk]),
        answers(action="continue", child_views="<script>alert('x')</script> I want to stay at my school."),
    )
    assert response["Location"] == reverse("peps:submit", args=[draft.pk])

    html = text(client.get(response["Location"]))
    assert "Check your answers before submitting the PEP for QA" in html
    assert f"{HELD.day} {HELD:%B %Y}" in html
    assert "Yes, £450.50" in html
    assert "94.5%" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; I want to stay at my school." in html
    assert "<script>alert" not in html
    assert html.count("Not recorded") == 3  # education, attainment, aspirations
    assert f'href="{reverse("peps:record", args=[draft.pk])}#div_id_meeting_date"' in html

    response = client.post(reverse("peps:submit", args=[draft.pk]), {"note": "All sections in."})

    assert response["Location"] == reverse("peps:detail", args=[draft.pk])
    assert messages_of(response) == ["PEP submitted for QA"]
    draft.refresh_from_db()
    assert (draft.status, draft.date_completed) == (PepStatus.SUBMITTED, TODAY)
    change = PepStatusChange.objects.get(pep=draft)
    assert (change.to_status, change.changed_by, change.note) == (PepStatus.SUBMITTED, officer, "All sections in.")


def test_a_double_submit_answers_already_submitted(client, officer, draft):
    Pep.objects.filter(pk=draft.pk).update(meeting_date=HELD)
    client.force_login(officer)
    url = reverse("peps:submit", args=[draft.pk])

    client.post(url)
    again = client.post(url)

    assert again["Location"] == reverse("peps:detail", args=[draft.pk])
    assert messages_of(again)[-1] == "This PEP has already been submitted for QA."
    assert PepStatusChange.objects.filter(pep=draft).count() == 1
    # And the meeting page of a submitted PEP says so too.
    response = client.get(reverse("peps:record", args=[draft.pk]))
    assert response["Location"] == reverse("peps:detail", args=[draft.pk])


def test_a_pep_without_its_meeting_cannot_be_submitted(client, officer, draft):
    client.force_login(officer)
    url = reverse("peps:submit", args=[draft.pk])

    html = text(client.get(url))
    assert "Enter the date of the PEP meeting before submitting the PEP for QA" in html
    assert "Submit for QA" not in html

    html = text(client.post(url))
    assert "There is a problem" in html
    assert Pep.objects.get(pk=draft.pk).status == PepStatus.DRAFT


@pytest.mark.parametrize("status", [PepStatus.RETURNED, PepStatus.FINALISED])
def test_a_pep_past_draft_is_not_offered_for_recording(client, officer, draft, status):
    Pep.objects.filter(pk=draft.pk).update(status=status, meeting_date=HELD)
    client.force_login(officer)
    for url in (reverse("peps:record", args=[draft.pk]), reverse("peps:submit", args=[draft.pk])):
        response = client.post(url, answers())
        assert response["Location"] == reverse("peps:detail", args=[draft.pk])
        assert "no longer a draft" in messages_of(response)[0]
    assert Pep.objects.get(pk=draft.pk).status == status


# --- where the officer starts: their caseload, the PEP page -------------------------------


def test_the_caseload_links_each_child_without_a_pep_or_with_a_draft(client, officer, pep, child, draft):
    client.force_login(officer)
    html = text(client.get(reverse("home")))
    assert reverse("peps:record_new", args=[child.pk]) in html
    assert reverse("peps:record", args=[draft.pk]) in html
    assert f'Record the PEP meeting<span class="govuk-visually-hidden"> of {child.full_name}' in html
    # A submitted PEP is not recorded again.
    assert reverse("peps:record", args=[pep.pk]) not in html
    assert reverse("peps:record_new", args=[pep.child_id]) not in html


def test_the_pep_page_offers_recording_a_draft_to_those_who_may(client, officer, administrator, draft):
    url = reverse("peps:detail", args=[draft.pk])
    client.force_login(officer)
    assert reverse("peps:record", args=[draft.pk]) in text(client.get(url))
    client.force_login(administrator)
    assert reverse("peps:record", args=[draft.pk]) not in text(client.get(url))


# --- the worklist entry waiting for the PEP -----------------------------------------------


def test_submitting_from_the_page_puts_the_pep_on_the_managers_worklist_to_rate(client, manager, officer, pep):
    Pep.objects.filter(pk=pep.pk).update(status=PepStatus.DRAFT, meeting_date=HELD)
    draw_term_samples(pep.term)
    entry = SampleEntry.objects.get(pep=pep, assigned_to=manager)
    client.force_login(manager)
    worklist = text(client.get(reverse("reviews:worklist"), {"term": pep.term.pk}))
    assert "PEP not yet submitted" in worklist
    assert reverse("sampling:entry_start", args=[entry.pk]) not in worklist

    client.force_login(officer)
    client.post(reverse("peps:submit", args=[pep.pk]))

    client.force_login(manager)
    worklist = text(client.get(reverse("reviews:worklist"), {"term": pep.term.pk}))
    assert reverse("sampling:entry_start", args=[entry.pk]) in worklist
    assert "PEP not yet submitted" not in worklist


def test_the_caseload_asks_the_policy_without_a_query_per_child(client, officer, pep, django_assert_num_queries):
    client.force_login(officer)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    for _ in range(5):
        ChildFactory(allocated_officer=officer)
        PepFactory(child=ChildFactory(allocated_officer=officer), term=pep.term, status=PepStatus.DRAFT)
    with django_assert_num_queries(len(few.captured_queries)):
        html = text(client.get(reverse("home")))
    assert html.count("Record the PEP meeting<span") == 10
