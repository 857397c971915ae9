"""Requests that arrive at once: double clicks, two reviewers, two tabs.

Real concurrency needs a real database: each request runs in a thread of its own, with
its own PostgreSQL connection, all released together by a barrier. SQLite serialises
writers, so there these tests skip ("service unavailable"; a failure with
HVS_REQUIRE_SERVICES=1, as in CI).
"""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from post_office.models import Email

from core.vocabulary import Role
from notices.models import Notice, NoticeKind
from peps.models import PepStatus, PepStatusChange
from practice.models import (
    ActionStatus,
    PeerReviewMeeting,
    PeerReviewPep,
    PracticeAction,
    Supervision,
    TrainingKind,
    TrainingOffer,
)
from practice.supervision import record_outcome
from reporting import social_care
from reporting.commentary import save_commentary
from reporting.models import BoardCommentary, ReportRequest, SocialCareDispatch, SocialCareSend
from reporting.tasks import build_report as build_report_task
from reporting.tasks import send_social_care_reports
from reviews.models import Amendment, QaReview, ReviewCorrection, ReviewKind, ReviewStatus
from reviews.services import save_review, start_review
from sampling.models import ModerationSettlement, SampleEntry
from sampling.services import draw_term_samples

from .factories import PracticeActionFactory, SupervisionFactory, TermFactory, UserFactory, rate_all
from .services import require_service

pytestmark = [
    pytest.mark.services,
    # serialized_rollback: the flush after each test would drop the migrations' pro-formas.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CLICKS = 3
WAIT_SECONDS = 4


@pytest.fixture(autouse=True)
def _postgresql():
    require_service(
        "postgresql",
        connection.vendor == "postgresql",
        f"concurrent requests need PostgreSQL, not {connection.vendor}; set DATABASE_URL",
    )


def at_once(*calls):
    """Run each call in a thread of its own (so on a database connection of its own), all
    released together; what each returned, in order. A call that raised fails the test."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=WAIT_SECONDS)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()  # this thread's connection

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a request hung (a deadlock?)"
    if errors:
        raise errors[0]
    return results


def browser(user) -> Client:
    """A signed-in client that answers a crash as a 500, as a browser would see it."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def post(client, url, data=None):
    return lambda: client.post(url, data or {})


def rate_form(review, rating, action="submit", version=None):
    """The rating form as posted: every area ``rating``, with a comment."""
    review.refresh_from_db()
    data = {
        "action": action,
        "strengths": "",
        "development_points": "",
        "version": review.version if version is None else version,
    }
    for area_rating in review.area_ratings.all():
        data[f"rating_{area_rating.pk}"] = rating
        data[f"comment_{area_rating.pk}"] = f"{rating} because"
    return data


def checked(client, review, rating) -> tuple[str, dict]:
    """ "Check and submit" on the rating page (every area ``rating``): the draft is saved;
    the confirmation page's URL and what its form posts (the version it shows)."""
    response = client.post(reverse("reviews:rate", args=[review.pk]), rate_form(review, rating))
    url = reverse("reviews:confirm", args=[review.pk])
    assert (response.status_code, response["Location"]) == (302, url)
    review.refresh_from_db()
    return url, {"version": review.version}


def assert_no_500(responses):
    assert [r.status_code for r in responses if r.status_code >= 500] == []


# --- one line-management outcome per PEP per QA round ---------------------------------


def test_two_line_management_submits_at_once_only_one_applies(pep, manager, vsh):
    mine, theirs = start_review(pep, manager), start_review(pep, vsh)
    my_client, their_client = browser(manager), browser(vsh)
    (my_url, my_form), (their_url, their_form) = checked(my_client, mine, "gold"), checked(their_client, theirs, "red")

    responses = at_once(post(my_client, my_url, my_form), post(their_client, their_url, their_form))

    assert_no_500(responses)
    assert sorted(r.status_code for r in responses) == [200, 302]
    winner, loser = (mine, theirs) if responses[0].status_code == 302 else (theirs, mine)
    refused = responses[[mine, theirs].index(loser)].content.decode()
    assert "govuk-error-summary" in refused and "is no longer awaiting QA" in refused
    assert "your draft was kept" in refused
    winner.refresh_from_db()
    loser.refresh_from_db()
    assert (winner.status, loser.status) == (ReviewStatus.SUBMITTED, ReviewStatus.DRAFT)
    pep.refresh_from_db()
    assert pep.status == (PepStatus.FINALISED if winner == mine else PepStatus.RETURNED)
    assert pep.judgement == winner.overall_judgement
    changes = list(PepStatusChange.objects.filter(pep=pep).values_list("from_status", "to_status", "changed_by"))
    assert changes == [(PepStatus.SUBMITTED, pep.status, winner.reviewer_id)]


def test_finalise_without_qa_racing_a_submit_gives_one_outcome(pep, manager, vsh):
    review = start_review(pep, manager)  # the PEP is in no sample: it may be finalised
    client = browser(manager)
    confirm_url, confirm_form = checked(client, review, "red")

    submitted, finalised = at_once(
        post(client, confirm_url, confirm_form),
        post(browser(vsh), reverse("peps:finalise", args=[pep.pk]), {"confirmed": "True"}),
    )

    assert_no_500([submitted, finalised])
    review.refresh_from_db()
    pep.refresh_from_db()
    changes = list(PepStatusChange.objects.filter(pep=pep).values_list("from_status", "to_status"))
    assert len(changes) == 1, changes  # one outcome: returned by the review, or finalised without
    assert changes[0][0] == PepStatus.SUBMITTED and changes[0][1] == pep.status
    if review.is_submitted:
        assert submitted.status_code == 302 and pep.status == PepStatus.RETURNED
    else:
        assert submitted.status_code == 200 and "is no longer awaiting QA" in submitted.content.decode()
        assert pep.status == PepStatus.FINALISED and pep.judgement == ""


def test_a_double_click_on_confirm_submits_once(pep, manager):
    review = start_review(pep, manager)
    client = browser(manager)
    url, data = checked(client, review, "red")

    responses = at_once(*[post(client, url, data)] * CLICKS)

    assert_no_500(responses)
    # Every click lands on the submitted review: the first submitted it, the others read
    # "already submitted".
    assert {(r.status_code, r["Location"]) for r in responses} == {(302, reverse("reviews:detail", args=[review.pk]))}
    assert PepStatusChange.objects.filter(pep=pep).count() == 1
    assert QaReview.objects.get().status == ReviewStatus.SUBMITTED
    assert Amendment.objects.filter(pep=pep).count() == 1
    assert Notice.objects.filter(pep=pep, kind=NoticeKind.RETURNED).count() == 1


# --- corrections of a submitted review -------------------------------------------------


def correction_form(review, rating, reason):
    review.refresh_from_db()
    data = {"strengths": "", "development_points": "", "reason": reason, "version": review.version}
    for area_rating in review.area_ratings.all():
        data[f"rating_{area_rating.pk}"] = rating
        data[f"comment_{area_rating.pk}"] = f"{rating}, corrected"
    return data


def test_two_managers_correcting_at_once_lose_neither_silently(pep, manager, vsh):
    review = start_review(pep, manager)
    save_review(review, rate_all(review, ["red"] * 8), strengths="", development_points="", submit=True)
    url = reverse("reviews:correct", args=[review.pk])
    # Both opened the correction page on the same version.
    forms = {"green": correction_form(review, "green", "Mine"), "amber": correction_form(review, "amber", "Theirs")}

    answers = at_once(post(browser(manager), url, forms["green"]), post(browser(vsh), url, forms["amber"]))
    responses = dict(zip(forms, answers, strict=True))

    assert_no_500(responses.values())
    assert sorted(r.status_code for r in responses.values()) == [200, 302]
    saved = next(rating for rating, response in responses.items() if response.status_code == 302)
    refused = next(response for response in responses.values() if response.status_code == 200)
    assert "corrected by someone else" in refused.content.decode()
    review.refresh_from_db()
    assert set(review.area_ratings.values_list("rating", flat=True)) == {saved}
    assert list(ReviewCorrection.objects.values_list("reason", flat=True)) == [forms[saved]["reason"]]
    assert review.version == forms[saved]["version"] + 1
    pep.refresh_from_db()
    expected = PepStatus.FINALISED if saved == "green" else PepStatus.RETURNED
    assert pep.status == expected and pep.judgement == saved


def test_a_correction_racing_mark_amended_gives_one_story(pep, manager, officer):
    review = start_review(pep, manager)
    save_review(review, rate_all(review, ["red"] * 8), strengths="", development_points="", submit=True)

    corrected, amended = at_once(
        post(browser(manager), reverse("reviews:correct", args=[review.pk]), correction_form(review, "green", "Oops")),
        post(browser(officer), reverse("peps:mark_amended", args=[pep.pk])),
    )

    assert_no_500([corrected, amended])
    assert corrected.status_code == 302
    pep.refresh_from_db()
    changes = list(PepStatusChange.objects.filter(pep=pep).order_by("pk").values_list("from_status", "to_status"))
    if changes[-1] == (PepStatus.RETURNED, PepStatus.FINALISED):
        # The correction first: finalised, nothing left to amend (marking amended refused).
        assert pep.status == PepStatus.FINALISED and len(changes) == 2
        assert Notice.objects.filter(pep=pep, kind=NoticeKind.OUTCOME_CHANGED).count() == 1
    else:
        # Amended first: awaiting QA round 2, which the correction of round 1 leaves alone.
        assert changes[-1] == (PepStatus.RETURNED, PepStatus.SUBMITTED) and pep.status == PepStatus.SUBMITTED
        assert not Notice.objects.filter(pep=pep, kind=NoticeKind.OUTCOME_CHANGED).exists()
    assert ReviewCorrection.objects.count() == 1
    assert not Amendment.objects.filter(pep=pep, amended_at__isnull=True, withdrawn_at__isnull=True).exists()


# --- double clicks that start something ------------------------------------------------


def test_three_clicks_on_start_review_open_one_draft(pep, manager):
    client = browser(manager)

    responses = at_once(*[post(client, reverse("reviews:start", args=[pep.pk]))] * CLICKS)

    review = QaReview.objects.get()
    assert [r.status_code for r in responses] == [302] * CLICKS
    assert {r["Location"] for r in responses} == {reverse("reviews:rate", args=[review.pk])}
    assert review.area_ratings.count() == review.pro_forma.areas.count()


def test_three_clicks_on_a_worklist_entry_open_one_draft(pep, manager):
    draw_term_samples(pep.term)
    entry = SampleEntry.objects.get(assigned_to=manager)
    client = browser(manager)

    responses = at_once(*[post(client, reverse("sampling:entry_start", args=[entry.pk]))] * CLICKS)

    review = QaReview.objects.get()
    assert [r.status_code for r in responses] == [302] * CLICKS
    assert {r["Location"] for r in responses} == {reverse("reviews:rate", args=[review.pk])}
    entry.refresh_from_db()
    assert entry.review == review and review.kind == ReviewKind.LINE_MANAGEMENT


def test_three_clicks_adding_a_pep_to_a_peer_review_add_it_once(pep, manager, officer):
    meeting = PeerReviewMeeting.objects.create(
        term=pep.term, date=pep.term.start_date, focus="targets", recorded_by=manager
    )
    meeting.attendees.set([manager, officer])
    client = browser(manager)
    url = reverse("practice:peer_review_detail", args=[meeting.pk])

    responses = at_once(*[post(client, url, {"pep-member": officer.pk, "pep-brought": pep.pk})] * CLICKS)

    assert list(PeerReviewPep.objects.values_list("pep", "member")) == [(pep.pk, officer.pk)]
    assert_no_500(responses)
    # Each click, first or not, is answered with the meeting page ("added", or "already
    # recorded" for a click whose form was read after the first click's insert).
    assert [r.status_code for r in responses] == [302] * CLICKS


def test_three_clicks_on_prepare_the_board_report_make_one_request(pep, monkeypatch):
    # Not built here: the requests stay "being prepared", as while a worker is busy.
    monkeypatch.setattr(build_report_task, "apply_async", lambda *args, **kwargs: None)
    client = browser(UserFactory(role=Role.MANAGER))

    responses = at_once(*[post(client, reverse("reports:request"), {"kind": "board", "term": pep.term.pk})] * CLICKS)

    report = ReportRequest.objects.get()
    assert [r.status_code for r in responses] == [302] * CLICKS
    assert {r["Location"] for r in responses} == {reverse("reports:status", args=[report.pk])}


def test_three_clicks_on_send_to_social_care_managers_send_once(social_care_world, vsh, monkeypatch):
    # Not sent here: the send stays "being sent", as while a worker is busy.
    monkeypatch.setattr(send_social_care_reports, "apply_async", lambda *args, **kwargs: None)
    client = browser(vsh)
    form = {"term": social_care_world.term.pk, "token": str(uuid.uuid4())}

    responses = at_once(*[post(client, reverse("reports:social_care_send"), form)] * CLICKS)

    assert [r.status_code for r in responses] == [302] * CLICKS
    assert SocialCareSend.objects.count() == 1


def test_two_scheduled_runs_at_once_dispatch_each_team_once(social_care_world, stub_pdf):
    day = social_care.send_date(social_care_world.term)

    runs = at_once(*[lambda: len(social_care.send_scheduled(day))] * 2)

    assert sum(runs) == 3  # Alpha, Beta (sent) and Delta (nothing to report), between them
    assert SocialCareDispatch.objects.count() == 3 and Email.objects.count() == 2


# --- two tabs of one draft -------------------------------------------------------------


def test_two_tabs_saving_at_once_save_one_and_refuse_the_other(pep, manager):
    review = start_review(pep, manager)
    save_review(
        review,
        rate_all(review, ["green"] * review.area_ratings.count(), comment="first"),
        strengths="",
        development_points="",
        submit=False,
    )
    url = reverse("reviews:rate", args=[review.pk])
    # Both tabs opened on the same version.
    tabs = {
        "gold": rate_form(review, "gold", action="draft"),
        "red": dict(rate_form(review, "red", action="draft"), strengths="From tab 2"),
    }

    responses = dict(zip(tabs, at_once(*[post(browser(manager), url, data) for data in tabs.values()]), strict=True))

    assert_no_500(responses.values())
    assert sorted(r.status_code for r in responses.values()) == [200, 302]
    saved = next(rating for rating, response in responses.items() if response.status_code == 302)
    refused = next(response for response in responses.values() if response.status_code == 200)
    assert "changed in another tab or window" in refused.content.decode()
    review.refresh_from_db()
    assert review.version == tabs[saved]["version"] + 1
    assert review.strengths == tabs[saved]["strengths"]
    assert set(review.area_ratings.values_list("rating", flat=True)) == {saved}


# --- one-to-one supervision (practice.supervision) -----------------------------------


def _supervision_form(officer, **extra):
    """The new supervision form as posted: one token, an action and a training offer."""
    today = timezone.localdate()
    return {
        "form_token": str(uuid.uuid4()),
        "date_0": str(today.day),
        "date_1": str(today.month),
        "date_2": str(today.year),
        "notes": "Went through the Red PEP",
        "action_1_description": "Make every target SMART",
        "action_1_owner": officer.pk,
        "action_1_due_0": str(today.day),
        "action_1_due_1": str(today.month),
        "action_1_due_2": str(today.year),
        "training_1_kind": TrainingKind.SHADOWING,
        "training_1_with_whom": "An experienced VSO",
        "training_1_date_0": str(today.day),
        "training_1_date_1": str(today.month),
        "training_1_date_2": str(today.year),
        **extra,
    }


def test_three_clicks_on_record_the_supervision_record_it_once(manager, officer):
    url = f"{reverse('practice:supervision_new')}?officer={officer.pk}"
    data = _supervision_form(officer)

    responses = at_once(*[post(browser(manager), url, data)] * CLICKS)

    assert_no_500(responses)
    supervision = Supervision.objects.get()
    assert [r.status_code for r in responses] == [302] * CLICKS
    assert {r["Location"] for r in responses} == {reverse("practice:supervision_detail", args=[supervision.pk])}
    assert PracticeAction.objects.filter(supervision=supervision).count() == 1
    assert TrainingOffer.objects.filter(supervision=supervision).count() == 1


def test_two_tabs_recording_an_actions_outcome_at_once_record_one(manager, officer):
    earlier = SupervisionFactory(officer=officer, manager=manager, date=timezone.localdate() - timedelta(days=30))
    action = PracticeActionFactory(supervision=earlier)
    later = SupervisionFactory(officer=officer, manager=manager)
    tabs = [(ActionStatus.DONE, "done in tab 1"), (ActionStatus.NOT_DONE, "not done in tab 2")]

    results = at_once(
        *[
            (
                lambda status=status, outcome=outcome: record_outcome(
                    action, at=later, by=manager, status=status, outcome=outcome
                )[1]
            )
            for status, outcome in tabs
        ]
    )

    assert sorted(results) == [False, True]
    action.refresh_from_db()
    assert (action.status, action.outcome) in [
        (ActionStatus.DONE, "done in tab 1"),
        (ActionStatus.NOT_DONE, "not done in tab 2"),
    ]
    assert action.followed_up_at == later


def test_two_tabs_editing_a_supervision_at_once_save_one_and_refuse_the_other(manager, officer):
    supervision = SupervisionFactory(officer=officer, manager=manager, notes="Before")
    url = reverse("practice:supervision_edit", args=[supervision.pk])
    today = timezone.localdate()
    base = {"version": supervision.version, "date_0": today.day, "date_1": today.month, "date_2": today.year}
    tabs = {
        "one": {
            **base,
            "notes": "Tab one",
            "action_1_description": "From tab one",
            "action_1_owner": officer.pk,
            "action_1_due_0": today.day,
            "action_1_due_1": today.month,
            "action_1_due_2": today.year,
        },
        "two": {**base, "notes": "Tab two"},
    }

    responses = dict(zip(tabs, at_once(*[post(browser(manager), url, data) for data in tabs.values()]), strict=True))

    assert_no_500(responses.values())
    assert sorted(r.status_code for r in responses.values()) == [200, 302]
    saved = next(tab for tab, response in responses.items() if response.status_code == 302)
    refused = next(response for response in responses.values() if response.status_code == 200)
    assert "changed in another tab or by someone else" in refused.content.decode()
    supervision.refresh_from_db()
    assert supervision.notes == tabs[saved]["notes"]
    assert supervision.version == 2
    assert supervision.actions.count() == (1 if saved == "one" else 0)


@pytest.mark.parametrize("first_save", [True, False])
def test_two_tabs_saving_the_board_commentary_at_once_save_one_and_refuse_the_other(vsh, first_save):
    """The first save (no row yet: both insert, one waits on the unique term) and a later
    one (the row locked): one tab's words are kept, the other is told, nothing is lost."""
    term = TermFactory()
    version = 0
    if not first_save:
        save_commentary(term, by=vsh, version=0, commentary="Before", next_steps="")
        version = 1
    url = reverse("reports:commentary")
    tabs = {
        tab: {"term": term.pk, "version": version, "commentary": f"From tab {tab}", "next_steps": ""}
        for tab in ("one", "two")
    }

    responses = dict(zip(tabs, at_once(*[post(browser(vsh), url, data) for data in tabs.values()]), strict=True))

    assert_no_500(responses.values())
    assert sorted(r.status_code for r in responses.values()) == [200, 302]
    saved = next(tab for tab, response in responses.items() if response.status_code == 302)
    refused = next(response for response in responses.values() if response.status_code == 200)
    assert "changed in another tab or by someone else" in refused.content.decode()
    commentary = BoardCommentary.objects.get(term=term)
    assert commentary.commentary == f"From tab {saved}"
    assert commentary.version == version + 1


# --- settling a moderation disagreement ---------------------------------------------------


def test_two_managers_settling_at_once_record_one_and_tell_the_other(one_re_rating, pep, manager, other_manager):
    url = reverse("sampling:settle", args=[one_re_rating.pk])
    prefix = f"settle-{one_re_rating.pk}"
    # Both loaded the page while it was unsettled.
    forms = {
        "green": {f"{prefix}-agreed_judgement": "green", f"{prefix}-notes": "Mine", f"{prefix}-based_on": ""},
        "amber": {f"{prefix}-agreed_judgement": "amber", f"{prefix}-notes": "Theirs", f"{prefix}-based_on": ""},
    }

    answers = at_once(post(browser(manager), url, forms["green"]), post(browser(other_manager), url, forms["amber"]))
    responses = dict(zip(forms, answers, strict=True))

    assert_no_500(responses.values())
    assert sorted(r.status_code for r in responses.values()) == [200, 302]
    saved = next(rating for rating, response in responses.items() if response.status_code == 302)
    refused = next(response for response in responses.values() if response.status_code == 200).content.decode()
    assert f"This disagreement was settled as {saved.title()}" in refused
    lost = next(rating for rating in forms if rating != saved)
    assert f"{forms[lost][f'{prefix}-notes']}</textarea>" in refused  # what they typed is kept
    assert list(ModerationSettlement.objects.values_list("judgement", flat=True)) == [saved]
    one_re_rating.refresh_from_db()
    pep.refresh_from_db()
    assert one_re_rating.agreed_judgement == pep.judgement == saved
