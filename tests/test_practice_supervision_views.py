"""The supervision pages (web/practice/supervision_views.py): who sees what, recording and
editing a supervision through its form, carrying actions forward, and query counts."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from core.vocabulary import Role
from practice.models import ActionStatus, PracticeAction, Supervision, TrainingKind, TrainingStatus
from reviews.models import QaReview
from reviews.services import save_review, start_review

from .factories import (
    ChildFactory,
    PepFactory,
    PracticeActionFactory,
    SupervisionFactory,
    TrainingOfferFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _reviewed(pep, reviewer, rate_all, ratings=None) -> QaReview:
    review = start_review(pep, reviewer)
    return save_review(
        review,
        rate_all(review, ratings or ["red"] * 5 + ["amber"] * 3, comment="Targets not SMART"),
        strengths="",
        development_points="Make the targets SMART",
        submit=True,
    )


@pytest.fixture
def red_review(pep, manager, rate_all):
    return _reviewed(pep, manager, rate_all)


@pytest.fixture
def other_review(other_pep, other_manager, rate_all):
    return _reviewed(other_pep, other_manager, rate_all)


def _date(prefix: str, day) -> dict:
    return {f"{prefix}_0": str(day.day), f"{prefix}_1": str(day.month), f"{prefix}_2": str(day.year)}


def _form(client, url) -> dict:
    """What the page's form would post untouched: its hidden token or version, the date."""
    html = client.get(url).content.decode()
    data = dict(re.findall(r'<input type="hidden" name="(form_token|version)" value="([^"]*)"', html))
    data.update(_date("date", TODAY))
    return data


def new_url(officer, review=None) -> str:
    url = f"{reverse('practice:supervision_new')}?officer={officer.pk}"
    return url + (f"&review={review.pk}" if review else "")


# --- who sees what ---------------------------------------------------------------------


def test_a_manager_lists_their_line_reports_supervisions_only(client, manager, officer, other_officer):
    mine = SupervisionFactory(officer=officer, notes="mine")
    theirs = SupervisionFactory(officer=other_officer)
    client.force_login(manager)
    response = client.get(reverse("practice:supervisions"))
    assert response.status_code == 200
    assert list(response.context["page"]) == [mine]
    assert theirs not in response.context["page"]


def test_the_vsh_lists_every_supervision_and_filters_by_officer_and_term(client, vsh, officer, other_officer, pep):
    mine = SupervisionFactory(officer=officer, date=pep.term.start_date + timedelta(days=3))
    theirs = SupervisionFactory(officer=other_officer, date=TODAY)
    client.force_login(vsh)
    url = reverse("practice:supervisions")
    assert set(client.get(url).context["page"]) == {mine, theirs}
    assert list(client.get(url, {"officer": other_officer.pk}).context["page"]) == [theirs]
    assert list(client.get(url, {"term": pep.term.pk}).context["page"]) == [mine]
    assert list(client.get(url, {"sort": "date"}).context["page"]) == [mine, theirs]
    assert list(client.get(url, {"sort": "-date"}).context["page"]) == [theirs, mine]


def test_an_officer_sees_their_own_supervisions_on_my_development(client, officer, other_officer):
    mine = SupervisionFactory(officer=officer)
    theirs = SupervisionFactory(officer=other_officer)
    client.force_login(officer)
    assert client.get(reverse("practice:supervisions"))["Location"] == reverse("practice:my_development")
    response = client.get(reverse("practice:my_development"))
    assert list(response.context["supervisions"]) == [mine]
    assert client.get(reverse("practice:supervision_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("practice:supervision_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("practice:supervision_edit", args=[mine.pk])).status_code == 403
    assert client.get(new_url(officer)).status_code == 403


def test_another_managers_officer_is_not_found(client, manager, other_officer, other_review, officer, red_review):
    theirs = SupervisionFactory(officer=other_officer)
    client.force_login(manager)
    assert client.get(reverse("practice:supervision_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("practice:supervision_edit", args=[theirs.pk])).status_code == 404
    assert client.get(new_url(other_officer)).status_code == 404
    # Another team's review, offered for one's own officer: not found either.
    assert client.get(new_url(officer, other_review)).status_code == 404
    assert client.get(f"{reverse('practice:supervision_new')}?officer=junk").status_code == 404


@pytest.mark.parametrize("who", ["lead", "administrator"])
def test_lead_practitioners_and_administrators_are_refused(request, client, officer, who):
    supervision = SupervisionFactory(officer=officer)
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("practice:supervisions")).status_code == 403
    assert client.get(reverse("practice:supervision_new")).status_code == 403
    assert client.get(reverse("practice:my_development")).status_code == 403
    assert client.get(reverse("practice:supervision_detail", args=[supervision.pk])).status_code == 403
    assert client.get(reverse("practice:supervision_edit", args=[supervision.pk])).status_code == 403


def test_new_without_an_officer_asks_for_one_of_the_line_reports(client, manager, officer, other_officer):
    client.force_login(manager)
    html = client.get(reverse("practice:supervision_new")).content.decode()
    assert f'value="{officer.pk}"' in html
    assert f'value="{other_officer.pk}"' not in html


# --- recording --------------------------------------------------------------------------


def test_the_review_the_page_was_opened_from_is_ticked_and_shown_as_the_qa_template(
    client, manager, officer, red_review
):
    client.force_login(manager)
    html = client.get(new_url(officer, red_review)).content.decode()
    assert re.search(rf'name="reviews" type="checkbox" value="{red_review.pk}" checked', html)
    first = red_review.area_ratings.order_by("area__position").first()
    assert first.area.title in html and "Targets not SMART" in html
    assert "app-rating-tag--red" in html and "Make the targets SMART" in html


def test_a_manager_records_a_supervision_with_an_action_and_training(client, manager, officer, red_review):
    client.force_login(manager)
    url = new_url(officer, red_review)
    area = red_review.area_ratings.order_by("area__position").first().area
    data = {
        **_form(client, url),
        "reviews": [red_review.pk],
        "notes": "Went through the Red PEP",
        "action_1_description": "Make every target SMART",
        "action_1_owner": officer.pk,
        **_date("action_1_due", TODAY + timedelta(days=14)),
        "action_1_review": red_review.pk,
        "action_1_area": area.pk,
        "training_1_kind": TrainingKind.SHADOWING,
        "training_1_with_whom": "An experienced VSO",
        **_date("training_1_date", TODAY + timedelta(days=7)),
    }
    response = client.post(url, data, follow=True)
    supervision = Supervision.objects.get()
    assert response.redirect_chain[-1][0] == reverse("practice:supervision_detail", args=[supervision.pk])
    html = response.content.decode()
    assert f"Supervision of {officer} recorded" in html and "Make every target SMART" in html
    assert list(supervision.reviews.all()) == [red_review]
    action = supervision.actions.get()
    assert (action.owner, action.area, action.review) == (officer, area, red_review)
    assert supervision.training.get().with_whom == "An experienced VSO"
    # The same form again (a double submit): no second supervision.
    again = client.post(url, data, follow=True)
    assert "This supervision was already recorded" in again.content.decode()
    assert Supervision.objects.count() == 1 and PracticeAction.objects.count() == 1


def test_bad_input_shows_errors_and_keeps_what_was_typed(client, manager, officer, red_review):
    client.force_login(manager)
    url = new_url(officer)
    data = {
        **_form(client, url),
        "date_0": "31",
        "date_1": "2",
        "reviews": [red_review.pk],
        "notes": "Notes typed",
        "action_1_description": "An action without a due date",
        "training_1_with_whom": "Someone",
        "action_2_area": "99999999999999999999",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "The date of the supervision must be a real date" in html
    assert "Enter the due date of action 1" in html
    assert "Choose training or shadowing for training 1" in html
    assert "Enter the date of training 1" in html
    assert "An action without a due date" in html and "Notes typed" in html and 'value="Someone"' in html
    assert re.search(rf'value="{red_review.pk}" checked', html)
    assert not Supervision.objects.exists()


def test_an_area_must_belong_to_the_reviews_pro_forma(client, manager, officer, red_review, rate_all):
    eyfs = PepFactory(child=ChildFactory(allocated_officer=officer, year_group=0), term=red_review.pep.term)
    eyfs_area = _reviewed(eyfs, manager, rate_all).area_ratings.first().area
    client.force_login(manager)
    url = new_url(officer)
    data = {
        **_form(client, url),
        "action_1_description": "x",
        "action_1_owner": officer.pk,
        **_date("action_1_due", TODAY),
        "action_1_review": red_review.pk,
        "action_1_area": eyfs_area.pk,
    }
    html = client.post(url, data).content.decode()
    assert "Choose an area of the review&#x27;s pro-forma for action 1" in html


def test_an_expired_form_is_told_and_keeps_what_was_typed(client, manager, officer):
    client.force_login(manager)
    url = new_url(officer)
    data = {**_form(client, url), "form_token": "junk", "notes": "Kept"}
    html = client.post(url, data).content.decode()
    assert "The form had expired" in html and "Kept" in html
    token = re.search(r'name="form_token" value="([^"]+)"', html).group(1)
    assert token != "junk"
    assert client.post(url, {**data, "form_token": token}).status_code == 302


def test_open_actions_are_carried_forward_and_their_outcome_recorded(client, manager, officer):
    first = SupervisionFactory(officer=officer, manager=manager, date=TODAY - timedelta(days=30))
    open_action = PracticeActionFactory(supervision=first, description="Still to do")
    done = PracticeActionFactory(supervision=first, description="Closed already")
    done.status, done.closed_on = ActionStatus.DONE, TODAY
    done.save()
    client.force_login(manager)
    url = new_url(officer)
    html = client.get(url).content.decode()
    assert "Still to do" in html and f'name="followup_{open_action.pk}_status"' in html
    assert f"followup_{done.pk}_" not in html
    data = {
        **_form(client, url),
        f"followup_{open_action.pk}_status": ActionStatus.DONE,
        f"followup_{open_action.pk}_outcome": "All SMART now",
    }
    assert client.post(url, data).status_code == 302
    second = Supervision.objects.exclude(pk=first.pk).get()
    open_action.refresh_from_db()
    assert (open_action.status, open_action.followed_up_at, open_action.outcome) == (
        ActionStatus.DONE,
        second,
        "All SMART now",
    )
    assert open_action.closed_on == TODAY
    # A third supervision has nothing carried forward.
    assert "followup_" not in client.get(url).content.decode()
    # An outcome typed without saying done or not done is an error.
    another = PracticeActionFactory(supervision=second)
    html = client.post(url, {**_form(client, url), f"followup_{another.pk}_outcome": "?"}).content.decode()
    assert "Say whether the action was done or not done" in html


def test_an_edit_from_a_stale_tab_is_refused_and_keeps_what_was_typed(client, manager, officer):
    supervision = SupervisionFactory(officer=officer, manager=manager, notes="Before")
    client.force_login(manager)
    url = reverse("practice:supervision_edit", args=[supervision.pk])
    stale = {**_form(client, url), "notes": "From the stale tab"}
    assert client.post(url, {**_form(client, url), "notes": "Saved first"}).status_code == 302
    response = client.post(url, stale)
    html = response.content.decode()
    assert response.status_code == 200
    assert "changed in another tab or by someone else" in html and "From the stale tab" in html
    supervision.refresh_from_db()
    assert supervision.notes == "Saved first"
    # Saving again, having been told, saves.
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    assert client.post(url, {**stale, "version": version}).status_code == 302
    supervision.refresh_from_db()
    assert supervision.notes == "From the stale tab"


def test_an_edit_keeps_the_reviews_discussed_that_the_editor_no_longer_sees(
    client, manager, other_manager, officer, red_review
):
    """The officer moved to another team: the manager who held the supervision may still
    correct its notes, and the reviews discussed (no longer theirs to see) stay recorded."""
    supervision = SupervisionFactory(officer=officer, manager=manager, notes="Before")
    supervision.reviews.set([red_review])
    officer.line_manager = other_manager
    officer.save()
    client.force_login(manager)
    url = reverse("practice:supervision_edit", args=[supervision.pk])
    html = client.get(url).content.decode()
    assert red_review.pep.child.la_reference not in html  # not shown to them
    assert client.post(url, {**_form(client, url), "notes": "Typo corrected"}).status_code == 302
    supervision.refresh_from_db()
    assert supervision.notes == "Typo corrected"
    assert list(supervision.reviews.all()) == [red_review]


def test_an_edit_carries_forward_only_the_actions_the_editor_may_follow_up(client, manager, other_manager, officer):
    """A former manager correcting their supervision is not shown (nor may record) the
    open actions of a supervision another manager held before it."""
    earlier = SupervisionFactory(officer=officer, manager=other_manager, date=TODAY - timedelta(days=60))
    theirs = PracticeActionFactory(supervision=earlier, description="Agreed with the other manager")
    supervision = SupervisionFactory(officer=officer, manager=manager, date=TODAY - timedelta(days=30))
    officer.line_manager = UserFactory(role=Role.MANAGER)
    officer.save()
    client.force_login(manager)
    url = reverse("practice:supervision_edit", args=[supervision.pk])
    html = client.get(url).content.decode()
    assert "Agreed with the other manager" not in html and f"followup_{theirs.pk}_" not in html
    forged = {**_form(client, url), f"followup_{theirs.pk}_status": ActionStatus.DONE}
    assert client.post(url, forged).status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == ActionStatus.OPEN


def test_training_is_marked_done_from_the_supervisions_page(client, manager, officer):
    offer = TrainingOfferFactory(supervision=SupervisionFactory(officer=officer, manager=manager))
    url = reverse("practice:supervision_detail", args=[offer.supervision.pk])
    client.force_login(officer)
    assert client.post(url, {"training": offer.pk, "status": "done"}).status_code == 403
    client.force_login(manager)
    assert (
        "Training marked as done"
        in client.post(url, {"training": offer.pk, "status": "done"}, follow=True).content.decode()
    )
    assert "already done" in client.post(url, {"training": offer.pk, "status": "done"}, follow=True).content.decode()
    offer.refresh_from_db()
    assert offer.status == TrainingStatus.DONE
    assert client.post(url, {"training": 10**20, "status": "done"}).status_code == 404


def test_the_detail_page_records_a_view_of_each_childs_review(client, manager, officer, red_review):
    supervision = SupervisionFactory(officer=officer, manager=manager)
    supervision.reviews.set([red_review])
    client.force_login(manager)
    assert client.get(reverse("practice:supervision_detail", args=[supervision.pk])).status_code == 200
    view = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS, child_id=red_review.pep.child_id).latest("pk")
    assert view.additional_data["page"] == "supervision"


def test_my_development_highlights_actions_due_within_a_week_or_overdue(client, officer):
    supervision = SupervisionFactory(officer=officer)
    PracticeActionFactory(supervision=supervision, description="Overdue one", due=TODAY - timedelta(days=1))
    PracticeActionFactory(supervision=supervision, description="Due soon one", due=TODAY + timedelta(days=7))
    PracticeActionFactory(supervision=supervision, description="Later one", due=TODAY + timedelta(days=8))
    TrainingOfferFactory(supervision=supervision, with_whom="A colleague")
    client.force_login(officer)
    response = client.get(reverse("practice:my_development"))
    banner = re.search(r'id="due-soon".*?</div>\s*</div>', response.content.decode(), re.S).group(0)
    assert "Overdue one" in banner and "Due soon one" in banner and "Later one" not in banner
    assert "2 actions due within 7 days or overdue" in banner
    assert "A colleague" in response.content.decode()


# --- the review page's link -------------------------------------------------------------


def test_the_review_page_offers_a_supervision_to_the_officers_manager_only(client, manager, officer, red_review, vsh):
    url = reverse("reviews:detail", args=[red_review.pk])
    link = f"{reverse('practice:supervision_new')}?officer={officer.pk}&amp;review={red_review.pk}"
    client.force_login(manager)
    assert link in client.get(url).content.decode()
    client.force_login(vsh)
    assert link in client.get(url).content.decode()
    client.force_login(officer)
    assert "Record a supervision" not in client.get(url).content.decode()
    lead_reviewer = UserFactory(role="lead")
    client.force_login(lead_reviewer)
    assert "Record a supervision" not in client.get(url).content.decode()


# --- query counts -------------------------------------------------------------------------


def _queries(client, url) -> list[str]:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


# GET the list as a manager: session, user, second-factor device; the people filter's
# and the term filter's choices; COUNT for the paginator; the page (officer and manager
# joined, counts annotated); the hold_supervisions permission needs none.
SUPERVISION_LIST_QUERIES = 7


def test_the_list_queries_are_constant(client, manager, officer):
    client.force_login(manager)
    url = reverse("practice:supervisions")
    others = [UserFactory(line_manager=manager) for _ in range(3)]
    for person in [officer, *others]:
        PracticeActionFactory(supervision=SupervisionFactory(officer=person))
    few = _queries(client, url)
    for person in [officer, *others] * 3:
        PracticeActionFactory(supervision=SupervisionFactory(officer=person))
    many = _queries(client, url)
    assert len(few) == len(many) == SUPERVISION_LIST_QUERIES, "\n".join(many)


# GET a supervision as its manager: 1-3 session, user, second-factor device; 4 the
# supervision (officer, manager, recorder joined; may edit needs no query: the officer is
# joined); 5 the manager's line reports (the reviews' scope); 6 the reviews discussed with
# child, term, reviewer, pro-forma; 7 their area ratings with areas; 8 the actions with
# owner, area and where followed up; 9 those followed up here; 10 the training. And one
# audit INSERT per review shown (the children's QA was seen).
SUPERVISION_DETAIL_QUERIES = 10


def test_the_detail_queries_are_constant(client, manager, officer, red_review, pep, rate_all):
    second = _reviewed(PepFactory(child=ChildFactory(allocated_officer=officer), term=pep.term), manager, rate_all)
    supervision = SupervisionFactory(officer=officer, manager=manager)
    supervision.reviews.set([red_review, second])
    url = reverse("practice:supervision_detail", args=[supervision.pk])
    client.force_login(manager)
    PracticeActionFactory(supervision=supervision)
    TrainingOfferFactory(supervision=supervision)
    few = _queries(client, url)
    for _ in range(4):
        PracticeActionFactory(supervision=supervision)
        TrainingOfferFactory(supervision=supervision)
    many = _queries(client, url)
    assert len(few) == len(many) == SUPERVISION_DETAIL_QUERIES + 2, "\n".join(many)


# GET My development as an officer: 1-3 session, user, second-factor device; 4 the
# actions; 5 the supervisions (actions counted); 6 the training; 7-8 the navigation's
# "has worklist / moderation entries" (an officer with none).
MY_DEVELOPMENT_QUERIES = 8


def test_my_development_queries_are_constant(client, officer):
    client.force_login(officer)
    url = reverse("practice:my_development")
    supervision = SupervisionFactory(officer=officer)
    PracticeActionFactory(supervision=supervision)
    few = _queries(client, url)
    for _ in range(3):
        more = SupervisionFactory(officer=officer)
        PracticeActionFactory(supervision=more)
        TrainingOfferFactory(supervision=more)
    many = _queries(client, url)
    assert len(few) == len(many) == MY_DEVELOPMENT_QUERIES, "\n".join(many)
