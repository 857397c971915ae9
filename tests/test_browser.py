"""End-to-end tests in Debian's Chromium, driven by Playwright against pytest-django's live server.

They rate a PEP the way a line manager does (sign in, find the PEP, rate it, watch the
live judgement that htmx updates, check the outcome and confirm), correct a review, and run
axe-core on the main pages. Screenshots
of each page (1280 px wide, full page) go to ``screenshots/`` (gitignored).

Run with ``pytest -m browser``; needs /usr/bin/chromium (``apt install chromium``): without
it the tests skip, or fail under ``HVS_REQUIRE_SERVICES=1``. Never ``playwright install``.
"""

import re
from base64 import b32decode
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib import admin
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from playwright.sync_api import Browser, Page, expect, sync_playwright
from post_office.models import STATUS, Email

from core.vocabulary import Role
from notices.models import Notice, NoticeKind
from peps.models import AspirationCategory, AspirationEntry, Child, Pep, PepStatus
from practice.models import GoldExemplar
from reporting.models import SocialCareSend
from reviews.models import Amendment, ProForma
from reviews.services import save_review, start_review
from sampling.services import draw_term_samples

from .factories import (
    ChildFactory,
    PepFactory,
    PracticeActionFactory,
    SampleEntryFactory,
    SampleFactory,
    SchoolFactory,
    SupervisionFactory,
    TermFactory,
    TrainingOfferFactory,
    UserFactory,
    queue_notice,
    rate_all,
)
from .second_factor import code_for, confirmed_device
from .services import require_service

# serialized_rollback: a transactional test flushes the database afterwards, which would
# delete the pro-formas seeded by reviews/migrations/0002; this restores them for each test.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}
PASSWORD = "a-long-known-test-password"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_service("chromium", CHROMIUM.exists(), f"{CHROMIUM} not found; apt install chromium")
    # The sync API marks an asyncio loop as running in this thread, so Django's async-safety
    # check would refuse ORM calls from the test (fixtures, flush). Module-scoped, so not the
    # function-scoped ``monkeypatch``; MonkeyPatch.context() restores the variable after.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # Until stop(), the code below runs in Playwright's greenlet, in a different
        # contextvars context, where Django's (context-local) ``connections`` would hand out
        # new connection objects: without the test database's serialized contents, so the
        # serialized rollback would silently restore nothing. Keep the same objects.
        current = {alias: connections[alias] for alias in connections}
        playwright = sync_playwright().start()
        for alias, connection in current.items():
            connections[alias] = connection
        try:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
        finally:
            playwright.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def signed_in_manager(manager):
    """The ``manager`` fixture with a password we know, to type on the sign-in page."""
    manager.first_name, manager.last_name = "Morag", "Manager"
    manager.set_password(PASSWORD)
    manager.save()
    return manager


@pytest.fixture
def signed_in_officer(officer):
    """The ``officer`` fixture with a password we know."""
    officer.first_name, officer.last_name = "Olu", "Officer"
    officer.set_password(PASSWORD)
    officer.save()
    return officer


def _screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def _sign_in(page: Page, live_server, user, landing: str = "My team's PEPs") -> None:
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    # The second factor: a real code from the user's (confirmed) authenticator device.
    device = confirmed_device(user)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")
    page.fill("#id_code", code_for(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(landing)


def _open_pep_from_list(page: Page, pep) -> None:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="PEPs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("PEPs")
    page.get_by_role("link", name=pep.child.full_name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(pep.child.full_name)


def _areas(pep) -> list[str]:
    return list(ProForma.objects.current_for(pep.phase).areas.order_by("position").values_list("title", flat=True))


def _rate(page: Page, ratings: list[str]) -> None:
    """Check the rating (label, e.g. "Gold") of each area in order; "" leaves it unrated."""
    for position, label in enumerate(ratings, start=1):
        if label:
            page.locator(f"#area-{position}").get_by_role("radio", name=label, exact=True).check()


def _comment(page: Page, areas: list[str]) -> dict[str, str]:
    comments = {title: f"Comment on {title}: evidence seen in the PEP." for title in areas}
    for title, text in comments.items():
        page.get_by_label(f"Comment on {title}", exact=True).fill(text)
    return comments


def _judgement(page: Page):
    return page.locator("#judgement")


def test_manager_rates_a_pep_and_sees_its_judgement(live_server, page, signed_in_manager, pep):
    areas = _areas(pep)
    assert len(areas) == 8

    _sign_in(page, live_server, signed_in_manager)
    _open_pep_from_list(page, pep)
    page.get_by_role("button", name="Rate this PEP").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Rate the PEP of {pep.child.full_name}")
    expect(_judgement(page)).to_contain_text("0 of 8 areas rated")

    _rate(page, ["Gold"] * 7)
    expect(_judgement(page)).to_contain_text("7 of 8 areas rated")
    _rate(page, [""] * 7 + ["Green"])
    expect(_judgement(page)).to_contain_text("Gold")
    expect(_judgement(page)).to_contain_text("High quality")
    expect(_judgement(page)).not_to_contain_text("areas rated")
    comments = _comment(page, areas)
    page.get_by_role("button", name="Check and submit").click()

    # The outcome first; nothing is submitted until it is confirmed.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the outcome before you submit")
    expect(page.locator("#outcome")).to_contain_text("This PEP will be finalised with the judgement Gold")
    pep.refresh_from_db()
    assert pep.status == PepStatus.SUBMITTED
    page.get_by_role("button", name="Confirm and submit").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Gold")
    expect(page.locator(".govuk-panel__body")).to_contain_text("High quality")
    expect(page.get_by_role("alert")).to_contain_text("QA review submitted")
    ratings_table = page.get_by_role("table", name="Area ratings")
    expect(ratings_table.locator("tbody tr")).to_have_count(8)
    expect(ratings_table).to_contain_text(comments[areas[-1]])

    page.get_by_role("link", name="Back to the PEP").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(pep.child.full_name)
    card = page.locator(".govuk-summary-card").filter(has_text="Morag Manager")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Overall: Gold")
    expect(page.locator("main")).not_to_contain_text("not been quality assured yet")
    history = page.locator("h2:text-is('History') + ol")
    expect(history).to_contain_text("Submitted for QA → Finalised by Morag Manager")
    expect(history).to_contain_text("QA judgement Gold. Finalised.")
    pep.refresh_from_db()
    assert (pep.status, pep.judgement) == (PepStatus.FINALISED, "gold")


def test_a_mostly_red_and_amber_review_returns_the_pep_for_amendment(live_server, page, signed_in_manager, pep):
    areas = _areas(pep)
    ratings = ["Red"] * 3 + ["Amber"] * 2 + ["Green"] * 3

    _sign_in(page, live_server, signed_in_manager)
    _open_pep_from_list(page, pep)
    page.get_by_role("button", name="Rate this PEP").click()
    _rate(page, ratings)
    expect(_judgement(page)).to_contain_text("Amber")
    expect(_judgement(page)).to_contain_text("the PEP will be returned to the DT and SW for amendment")
    _comment(page, areas)
    page.get_by_role("button", name="Check and submit").click()

    outcome = page.locator("#outcome")
    expect(outcome).to_contain_text("This PEP will be returned to the designated teacher and social worker to amend")
    expect(outcome.locator("#areas-to-amend li")).to_have_count(5)
    page.get_by_role("button", name="Confirm and submit").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Amber")
    expect(page.locator("main")).to_contain_text(
        "The PEP has been returned to the designated teacher and social worker for amendment"
    )
    to_amend = page.locator("#areas-to-amend li")
    expect(to_amend).to_have_count(5)
    for title, label in zip(areas[:5], ratings[:5], strict=True):
        expect(to_amend.filter(has_text=title)).to_contain_text(f"({label})")
    for title in areas[5:]:
        expect(page.locator("#areas-to-amend")).not_to_contain_text(title)
    pep.refresh_from_db()
    assert pep.status == PepStatus.RETURNED
    # The DT and SW are told, copy to the officer: the message is in the outbox.
    notice = Notice.objects.select_related("email").get(pep=pep, kind=NoticeKind.RETURNED)
    child = pep.child
    assert notice.email.to == [child.designated_teacher.email, child.social_worker.email]
    assert notice.email.cc == [child.allocated_officer.email]
    assert notice.email.subject.startswith(f"PEP returned for amendment: {child.la_reference}")
    for title in areas[:5]:
        assert title in notice.email.message
    assert child.first_name not in notice.email.subject + notice.email.message


def test_go_back_and_change_keeps_every_rating_and_comment(live_server, page, signed_in_manager, pep):
    areas = _areas(pep)
    ratings = ["Red"] * 3 + ["Amber"] * 2 + ["Green"] * 3
    review = start_review(pep, signed_in_manager)
    _sign_in(page, live_server, signed_in_manager)
    page.goto(f"{live_server.url}/reviews/{review.pk}/rate/")
    _rate(page, ratings)
    comments = _comment(page, areas)
    page.get_by_role("button", name="Check and submit").click()
    expect(page.locator("#outcome")).to_contain_text("will be returned to the designated teacher")

    page.get_by_role("link", name="Go back and change").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Rate the PEP")
    for position, label in enumerate(ratings, start=1):
        expect(page.locator(f"#area-{position}").get_by_role("radio", name=label, exact=True)).to_be_checked()
    for title, text in comments.items():
        expect(page.get_by_label(f"Comment on {title}", exact=True)).to_have_value(text)
    expect(_judgement(page)).to_contain_text("Amber")
    pep.refresh_from_db()
    assert pep.status == PepStatus.SUBMITTED


def test_submitting_with_an_area_unrated_shows_the_error_summary(live_server, page, signed_in_manager, pep):
    areas = _areas(pep)
    unrated = 4  # the fourth area, 1-based

    _sign_in(page, live_server, signed_in_manager)
    _open_pep_from_list(page, pep)
    page.get_by_role("button", name="Rate this PEP").click()
    _rate(page, ["" if position == unrated else "Green" for position in range(1, 9)])
    expect(_judgement(page)).to_contain_text("7 of 8 areas rated")
    comments = _comment(page, areas)
    page.get_by_role("button", name="Check and submit").click()

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_visible()
    expect(page).to_have_title(
        f"Error: Rate PEP: {pep.child.la_reference} – PEP quality assurance – Hillingdon Virtual School"
    )
    expect(summary.get_by_role("link")).to_have_count(1)
    link = summary.get_by_role("link", name=f"Select a rating for {areas[unrated - 1]}")
    link.click()
    first_radio = page.locator(f"#area-{unrated}").get_by_role("radio").first
    expect(first_radio).to_be_focused()
    expect(first_radio).to_have_accessible_name("Gold")

    for title, text in comments.items():
        expect(page.get_by_label(f"Comment on {title}", exact=True)).to_have_value(text)
    for position in range(1, 9):
        if position != unrated:
            expect(page.locator(f"#area-{position}").get_by_role("radio", name="Green", exact=True)).to_be_checked()
    expect(_judgement(page)).to_contain_text("7 of 8 areas rated")
    pep.refresh_from_db()
    assert pep.status == PepStatus.SUBMITTED


class _AxeCheck:
    """Runs axe on the page as it is, keeping the serious and critical violations."""

    def __init__(self, page: Page):
        self.page, self.axe, self.failures = page, Axe(), {}

    def __call__(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        _screenshot(self.page, name)
        results = self.axe.run(self.page, options=AXE_OPTIONS)
        blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            self.failures[f"{name} ({self.page.url})"] = blocking

    def assert_clean(self) -> None:
        assert not self.failures, "axe found serious or critical WCAG A/AA violations:\n" + "\n".join(
            f"\n== {where}\n"
            + "\n".join(
                f"- {v['id']} ({v['impact']}): {v['help']} {v['helpUrl']}\n"
                + "\n".join(
                    f"    {', '.join(map(str, n['target']))}: {n['html'][:200]}\n      {n['failureSummary']}"
                    for n in v["nodes"]
                )
                for v in violations
            )
            for where, violations in self.failures.items()
        )


def _busy_team(signed_in_manager, pep, officer) -> None:
    """More on the worklist and home page: a PEP awaiting QA and a review in progress."""
    PepFactory(child=ChildFactory(allocated_officer=officer), term=pep.term, status=PepStatus.SUBMITTED)
    draft_pep = PepFactory(child=ChildFactory(allocated_officer=officer), term=pep.term, status=PepStatus.SUBMITTED)
    start_review(draft_pep, signed_in_manager)
    UserFactory(role=Role.OFFICER, line_manager=signed_in_manager)  # an officer with no PEPs


def test_start_pages_pass_axe(live_server, page, signed_in_manager, pep, officer):
    _busy_team(signed_in_manager, pep, officer)
    check = _AxeCheck(page)
    page.goto(live_server.url + "/login/")
    check("01-login")
    _sign_in(page, live_server, signed_in_manager)
    check("02-manager-home")
    _open_pep_from_list(page, pep)
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("PEPs")
    check("03-pep-list")
    page.get_by_role("link", name=pep.child.full_name, exact=True).click()
    check("04-pep-detail")
    check.assert_clean()


def test_rating_pages_pass_axe(live_server, page, signed_in_manager, pep, officer):
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    page.goto(f"{live_server.url}/peps/{pep.pk}/")
    page.get_by_role("button", name="Rate this PEP").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rate the PEP")
    check("05-rate-fresh")
    _rate(page, ["Gold", "Gold", "Green"])
    expect(_judgement(page)).to_contain_text("3 of 8 areas rated")
    page.get_by_role("button", name="Check and submit").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    check("06-rate-with-errors")
    check.assert_clean()


def test_judged_review_pages_pass_axe(live_server, page, signed_in_manager, pep):
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    page.goto(f"{live_server.url}/peps/{pep.pk}/")
    page.get_by_role("button", name="Rate this PEP").click()
    _rate(page, ["Gold"] * 8)
    expect(_judgement(page)).to_contain_text("Gold")
    check("07-rate-complete")
    _comment(page, _areas(pep))
    page.get_by_role("button", name="Check and submit").click()
    page.get_by_role("button", name="Confirm and submit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gold")
    check("08-review-result")
    check.assert_clean()


def test_the_confirmation_pages_pass_axe(live_server, page, signed_in_manager, pep):
    review = start_review(pep, signed_in_manager)
    save_review(review, rate_all(review, ["red"] * 8), strengths="", development_points="", submit=False)
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    page.goto(f"{live_server.url}/reviews/{review.pk}/confirm/")
    expect(page.locator("#outcome")).to_contain_text("will be returned to the designated teacher")
    check("08-confirm-returned")
    save_review(review, rate_all(review, ["gold"] * 8), strengths="", development_points="", submit=False)
    page.reload()
    expect(page.locator("#outcome")).to_contain_text("will be finalised with the judgement Gold")
    check("08-confirm-finalised")
    check.assert_clean()


def _returned_by(manager, pep):
    review = start_review(pep, manager)
    save_review(review, rate_all(review, ["red"] * 8), strengths="", development_points="", submit=True)
    return review


def test_the_correction_page_passes_axe(live_server, page, signed_in_manager, pep):
    review = _returned_by(signed_in_manager, pep)
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    page.goto(f"{live_server.url}/reviews/{review.pk}/")
    page.get_by_role("button", name="Correct this review").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Correct the QA review")
    check("10-correct-review")
    check.assert_clean()


def test_the_correction_page_with_errors_passes_axe(live_server, page, signed_in_manager, pep):
    review = _returned_by(signed_in_manager, pep)
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    page.goto(f"{live_server.url}/reviews/{review.pk}/correct/")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_contain_text(
        "Enter why you are correcting this review"
    )
    check("11-correct-review-with-errors")
    check.assert_clean()


def test_correcting_a_review_finalises_the_returned_pep(live_server, page, signed_in_manager, pep):
    review = _returned_by(signed_in_manager, pep)
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    page.goto(f"{live_server.url}/reviews/{review.pk}/correct/")
    _rate(page, ["Green"] * 8)
    expect(page.locator("#judgement")).to_contain_text("The outcome changes")
    page.get_by_label("Why are you correcting this review?").fill("Rated from last term's PEP by mistake.")
    page.get_by_role("button", name="Save the correction").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Green")
    expect(page.get_by_role("alert")).to_contain_text("Review corrected. The PEP is now finalised")
    expect(page.locator("#corrections + .app-correction")).to_contain_text("Rated from last term's PEP by mistake.")
    check("12-corrected-review")
    check.assert_clean()
    pep.refresh_from_db()
    assert pep.status == PepStatus.FINALISED


def test_a_reviewed_pep_page_passes_axe(live_server, page, signed_in_manager, pep):
    review = start_review(pep, signed_in_manager)
    save_review(review, rate_all(review, ["gold"] * 8), strengths="", development_points="", submit=True)
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    page.goto(f"{live_server.url}/peps/{pep.pk}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check("09-pep-detail-reviewed")
    check.assert_clean()


def test_a_returned_pep_page_with_its_amendment_and_messages_passes_axe(live_server, page, signed_in_manager, pep):
    review = start_review(pep, signed_in_manager)
    save_review(review, rate_all(review, ["red"] * 8), strengths="", development_points="", submit=True)
    # Overdue and reminded (the amendment card's tag), and its message failed (the red tag).
    Amendment.objects.filter(pep=pep).update(due_on=timezone.localdate() - timedelta(days=3))
    Amendment.objects.filter(pep=pep).update(reminded_at=timezone.now())
    Email.objects.update(status=STATUS.failed)
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    page.goto(f"{live_server.url}/peps/{pep.pk}/")
    expect(page.locator("#amendment")).to_contain_text("Reminded")
    expect(page.locator("#messages")).to_be_visible()
    check("09b-pep-detail-returned")
    page.goto(f"{live_server.url}/peps/?status=returned")
    expect(page.locator(".app-amendment")).to_contain_text("Reminded")
    check("09c-pep-list-returned")
    check.assert_clean()


def test_worklist_statement_and_reports_pass_axe(live_server, page, signed_in_manager, pep, officer):
    _busy_team(signed_in_manager, pep, officer)
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="QA worklist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My QA worklist")
    check("10-worklist")
    page.get_by_role("link", name="Accessibility statement").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Accessibility statement")
    check("11-accessibility-statement")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("PEP quality: the term in figures")
    expect(page.locator("svg[role=img]")).to_have_count(4)
    check("12-reports")
    # The table of schools sits closed: opening it fetches it (htmx) into the open section.
    expect(page.locator("#table-school")).to_have_count(0)
    page.get_by_text("Judgements by school (").click()
    schools = page.locator("#schools").get_by_role("table", name="Judgements by school or setting")
    expect(schools).to_be_visible()
    expect(schools.get_by_role("row")).not_to_have_count(1)
    check("13-reports-schools")
    # Without JavaScript the section's link opens the table as a page of its own.
    page.goto(f"{live_server.url}/reports/schools/?term={pep.term.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Judgements by school or setting")
    check("14-reports-schools-page")
    check.assert_clean()


# --- recording a PEP meeting -------------------------------------------------------------


@pytest.fixture
def waiting_entry(pep, officer, signed_in_manager):
    """A draft PEP of ``officer``'s child this term, in the manager's line-management
    sample: on the worklist, waiting for the PEP."""
    draft = PepFactory(
        child=ChildFactory(allocated_officer=officer, first_name="Wren", last_name="Waiting"),
        term=pep.term,
        status=PepStatus.DRAFT,
        meeting_date=None,
    )
    sample = SampleFactory(term=pep.term, officer=officer, reviewer=signed_in_manager)
    return SampleEntryFactory(sample=sample, pep=draft, assigned_to=signed_in_manager)


def _fill_the_meeting(page: Page, held) -> None:
    meeting = page.get_by_role("group", name="Date of the PEP meeting")
    meeting.get_by_label("Day").fill(str(held.day))
    meeting.get_by_label("Month").fill(str(held.month))
    meeting.get_by_label("Year").fill(str(held.year))
    attended = page.get_by_role("group", name="Who attended the meeting?")
    for who in ("Social worker", "Designated teacher", "Carer"):
        attended.get_by_label(who).check()
    page.get_by_role("group", name="Has the social worker updated their section of the PEP?").get_by_label(
        "Yes"
    ).check()
    page.get_by_label("Attendance this term, as a percentage").fill("95.5")
    page.get_by_role("group", name="Was Pupil Premium Plus (PP+) requested?").get_by_label("No").check()
    page.get_by_label("Child's views, wishes and feelings").fill("Wren wants to join the school choir.")


def test_officer_records_a_meeting_and_submits_then_the_manager_rates_it(
    live_server, page, signed_in_officer, signed_in_manager, waiting_entry
):
    draft = waiting_entry.pep
    held = timezone.localdate() - timedelta(days=2)

    _sign_in(page, live_server, signed_in_officer, landing="My caseload")
    page.get_by_role("link", name=f"Record the PEP meeting of {draft.child.full_name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record the PEP meeting")
    _fill_the_meeting(page, held)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before submitting the PEP for QA")
    answers = page.locator("#meeting-answers")
    expect(answers).to_contain_text(f"{held.day} {held:%B %Y}")
    expect(answers).to_contain_text("95.5%")
    expect(page.locator("#section-answers")).to_contain_text("Wren wants to join the school choir.")
    page.get_by_role("button", name="Submit for QA").click()

    expect(page.get_by_role("alert")).to_contain_text("PEP submitted for QA")
    expect(page.get_by_role("heading", level=1)).to_contain_text(draft.child.full_name)
    expect(page.locator("main")).to_contain_text("Submitted for QA")
    assert Pep.objects.get(pk=draft.pk).status == PepStatus.SUBMITTED

    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, live_server, signed_in_manager)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="QA worklist").click()
    rate = page.get_by_role("button", name=f"Rate the PEP of {draft.child.full_name}")
    expect(rate).to_have_count(1)
    rate.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Rate the PEP of {draft.child.full_name}")
    expect(page.locator(".app-pep-panel")).to_contain_text("Wren wants to join the school choir.")


def test_pep_record_pages_pass_axe(live_server, page, signed_in_officer, waiting_entry):
    draft = waiting_entry.pep
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_officer, landing="My caseload")
    check("13-officer-home")
    page.goto(f"{live_server.url}/peps/{draft.pk}/record/")
    page.get_by_role("group", name="Date of the PEP meeting").get_by_label("Day").fill("31")
    page.get_by_role("group", name="Date of the PEP meeting").get_by_label("Month").fill("2")
    page.get_by_role("button", name="Continue").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_contain_text("The date of the PEP meeting must include a year")
    check("14-record-with-errors")
    check.assert_clean()


def test_check_answers_page_passes_axe(live_server, page, signed_in_officer, waiting_entry):
    draft = waiting_entry.pep
    Pep.objects.filter(pk=draft.pk).update(
        meeting_date=timezone.localdate() - timedelta(days=1), sw_attended=True, targets="Join the choir by half term."
    )
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_officer, landing="My caseload")
    page.goto(f"{live_server.url}/peps/{draft.pk}/submit/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your answers")
    check("15-check-answers")
    check.assert_clean()


def test_the_rating_page_on_a_phone_shows_each_areas_part_of_the_pep(live_server, browser, signed_in_manager, pep):
    Pep.objects.filter(pk=pep.pk).update(child_views="I want to be a vet.", epep_url="https://epep.example.org/p/1")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    try:
        check = _AxeCheck(page)
        _sign_in(page, live_server, signed_in_manager)
        page.goto(f"{live_server.url}/peps/{pep.pk}/")
        page.get_by_role("button", name="Rate this PEP").click()
        expect(page.locator(".app-pep-panel")).to_be_hidden()
        views = page.locator("#area-5 .app-area-pep")
        expect(views).to_be_visible()
        views.get_by_text("What the PEP says").click()
        expect(views).to_contain_text("I want to be a vet.")
        expect(page.get_by_role("link", name="Open the PEP in the ePEP system")).to_be_visible()
        check("16-rate-phone")
        check.assert_clean()
    finally:
        context.close()


def test_on_a_phone_the_judgement_is_above_submit_and_wide_tables_scroll_by_keyboard(
    live_server, browser, signed_in_manager, pep
):
    AspirationEntry.objects.create(
        pep=pep,
        category=AspirationCategory.values[0],
        aspiration="To train as a veterinary nurse at the college nearest home " * 3,
        steps="Work experience at the practice in Uxbridge; a college open day " * 3,
        trusted_adult="Ms Okafor, Head of Year 11",
    )
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    try:
        check = _AxeCheck(page)
        _sign_in(page, live_server, signed_in_manager)
        page.goto(f"{live_server.url}/peps/{pep.pk}/")
        # The Aspiration Pathway table is wider than the phone: its box is a labelled region
        # in the tab order, so a keyboard can scroll it.
        region = page.get_by_role("region", name="Aspiration Pathway (scrolls sideways)")
        expect(region).to_have_attribute("tabindex", "0")
        region.focus()
        page.keyboard.press("ArrowRight")
        expect(region).to_be_focused()
        assert region.evaluate("box => box.scrollLeft") > 0
        check("17-pep-phone")

        page.get_by_role("button", name="Rate this PEP").click()
        submit = page.get_by_role("button", name="Check and submit")
        before_submit = page.locator("#judgement-before-submit")
        expect(before_submit).to_be_visible()
        expect(page.locator("#judgement")).to_be_hidden()
        assert before_submit.bounding_box()["y"] < submit.bounding_box()["y"]
        _rate(page, ["Gold"] * len(_areas(pep)))
        expect(before_submit).to_contain_text("High quality")
        check("18-rate-phone-judgement")
        check.assert_clean()
    finally:
        context.close()


def test_on_a_phone_the_worklists_rate_buttons_and_the_coverages_policy_met_are_in_view(
    live_server, browser, signed_in_manager, pep, officer
):
    """At 390 px the first thing a manager acts on in each table is on screen without
    scrolling the table sideways (its columns that matter less are left to wider screens)."""
    for _ in range(3):
        PepFactory(child=ChildFactory(allocated_officer=officer), term=pep.term, status=PepStatus.SUBMITTED)
    # A long name, the widest a row gets (sequence numbers alone differ between databases).
    long_name = ChildFactory(allocated_officer=officer, first_name="Alexandria-Rose", last_name="Featherstonehaugh")
    PepFactory(child=long_name, term=pep.term, status=PepStatus.SUBMITTED)
    draw_term_samples(pep.term)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    try:
        check = _AxeCheck(page)
        _sign_in(page, live_server, signed_in_manager)
        page.goto(live_server.url + reverse("reviews:worklist"))
        expect(page.get_by_role("heading", level=1)).to_have_text("My QA worklist")
        rate = page.get_by_role("button", name=re.compile(r"^Rate the PEP of "))
        assert rate.count() >= 1
        for i in range(rate.count()):
            box = rate.nth(i).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        check("19-worklist-phone")

        page.goto(f"{live_server.url}{reverse('sampling:coverage')}?term={pep.term.pk}")
        header = page.get_by_role("columnheader", name=re.compile("Policy met"))
        box = header.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390, box
        cell = page.get_by_role("cell", name="Not met").first
        box = cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390, box
        check("20-coverage-phone")
        check.assert_clean()
    finally:
        context.close()


def test_the_vshs_navigation_fits_one_row(live_server, page, signed_in_vsh):
    """The VSH has the most pages (twelve): at 1280 px they stay on one row."""
    _sign_in(page, live_server, signed_in_vsh, landing="The whole Virtual School")
    items = page.get_by_role("navigation", name="Menu").get_by_role("link")
    tops = {round(items.nth(i).bounding_box()["y"]) for i in range(items.count())}
    assert items.count() >= 12 and len(tops) == 1, tops


# --- the Django admin ---------------------------------------------------------------------

ADMIN_MODELS = sorted((m._meta.app_label, m._meta.model_name) for m in admin.site._registry)
ADMIN_CHUNKS = [ADMIN_MODELS[i : i + 5] for i in range(0, len(ADMIN_MODELS), 5)]  # a test under 5 s


@pytest.fixture
def signed_in_administrator(administrator):
    administrator.first_name, administrator.last_name = "Ada", "Admin"
    administrator.is_staff = administrator.is_superuser = True
    administrator.set_password(PASSWORD)
    administrator.save()
    return administrator


def test_the_admins_pep_user_and_child_pages_pass_axe(
    live_server, page, signed_in_administrator, signed_in_manager, pep, officer
):
    """The pages the issue found failing: the PEP change page (its Aspiration Pathway
    inline), the user change page (autocomplete, filter boxes, split date and time), the
    child add page (autocompletes), and a sample with its tabular inline of entries."""
    AspirationEntry.objects.create(pep=pep, category=AspirationCategory.values[0], aspiration="To be a vet")
    entry = SampleEntryFactory(pep=pep, assigned_to=signed_in_manager)
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_administrator, landing="The whole Virtual School")
    for name, url in [
        ("admin-pep", reverse("admin:peps_pep_change", args=[pep.pk])),
        ("admin-user", reverse("admin:accounts_user_change", args=[officer.pk])),
        ("admin-child-add", reverse("admin:peps_child_add")),
        ("admin-sample", reverse("admin:sampling_sample_change", args=[entry.sample.pk])),
        ("admin-task-add", reverse("admin:django_celery_beat_periodictask_add")),
    ]:
        page.goto(live_server.url + url)
        expect(page.locator("#content h1")).to_be_visible()
        check(name)
    check.assert_clean()


@pytest.mark.parametrize("models", ADMIN_CHUNKS, ids=[f"{c[0][0]}.{c[0][1]}..." for c in ADMIN_CHUNKS])
def test_every_admin_changelist_passes_axe(live_server, page, signed_in_administrator, pep, models):
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_administrator, landing="The whole Virtual School")
    for app_label, model_name in models:
        page.goto(live_server.url + reverse(f"admin:{app_label}_{model_name}_changelist"))
        expect(page.locator("#content h1")).to_be_visible()
        check(f"admin-{app_label}-{model_name}")
    check.assert_clean()


# --- importing ---------------------------------------------------------------------------


@pytest.fixture
def signed_in_vsh(vsh):
    vsh.first_name, vsh.last_name = "Vera", "Head"
    vsh.set_password(PASSWORD)
    vsh.save()
    return vsh


def test_the_vsh_imports_children_from_the_page(live_server, page, signed_in_vsh, officer, settings, tmp_path):
    """Upload a clean export, read its preview, confirm: the children are there. axe on
    the import page and on the preview."""
    settings.MEDIA_ROOT = tmp_path / "media"
    school = SchoolFactory(urn="100001")
    export = tmp_path / "mosaic-children.csv"
    export.write_text(
        "CHILD,Forename,Surname,DOB,URN,VS officer\n"
        f"HVS-900001,Ann,Lee,01/02/2015,{school.urn},{officer.username}\n"
        f"HVS-900002,Bo,Ng,03/04/2016,{school.urn},{officer.username}\n",
        encoding="utf-8",
    )
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_vsh, landing="The whole Virtual School")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import staff, children and PEPs")
    check("13-imports")
    page.get_by_role("radio", name="Children").check()
    page.get_by_label("Which system is it from?").select_option(label="Another system (name it below)")
    page.get_by_label("Name of the new system").fill("Mosaic")
    page.get_by_label("Upload the file").set_input_files(str(export))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("mosaic-children.csv")
    expect(page.locator("#import-counts")).to_contain_text("2new")
    expect(page.get_by_text("This will update 2 records. It cannot be undone from here.")).to_be_visible()
    check("14-import-preview")
    assert not Child.objects.filter(la_reference__startswith="HVS-9").exists()
    page.get_by_role("button", name="Confirm and import").click()
    expect(page.get_by_role("alert")).to_contain_text("Import applied: 2 new, 0 changed, 0 unchanged.")
    expect(page.get_by_text("Applied by Vera Head")).to_be_visible()
    check("15-import-applied")
    assert Child.objects.filter(la_reference__startswith="HVS-9", allocated_officer=officer).count() == 2
    check.assert_clean()


# --- the social care reports -----------------------------------------------------------


def test_the_vshs_send_page_passes_axe(live_server, page, signed_in_vsh, social_care_world):
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_vsh, landing="The whole Virtual School")
    page.goto(f"{live_server.url}/reports/pdf/?term={social_care_world.term.pk}")
    page.get_by_role("link", name="Send to social care managers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send the social care reports to the team managers")
    expect(page.get_by_role("row", name="Gamma team")).to_contain_text("Cannot be sent")
    check("30-social-care-send")
    check.assert_clean()


def test_the_vsh_sends_the_social_care_reports_and_the_page_lists_them(
    live_server, page, signed_in_vsh, social_care_world, stub_pdf, eager
):
    # eager: the send runs in-process (where REDIS_URL is set, as in CI, it would wait for a
    # worker on the default queue, which no test runs).
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_vsh, landing="The whole Virtual School")
    page.goto(f"{live_server.url}/reports/pdf/social-care/send/?term={social_care_world.term.pk}")
    page.get_by_role("button", name="Send to 2 social care managers").click()
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Social care reports for Autumn 2003/04 sent to the team managers")
    expect(page.locator("#dispatches tbody tr")).to_have_count(3)
    check("31-social-care-sent")
    check.assert_clean()
    assert SocialCareSend.objects.get().requested_by == signed_in_vsh
    assert sorted(address for email in Email.objects.all() for address in email.to) == [
        "ann.alpha@council.example",
        "bob.beta@council.example",
    ]


# --- messages ----------------------------------------------------------------------------


def test_the_vsh_resends_a_failed_message_from_the_messages_page(
    live_server, page, signed_in_vsh, pep, eager, mailoutbox
):
    """Find the failed message from the counts, read it, resend it: sent. axe on the list
    and on the message."""
    failed = queue_notice(pep, state="failed")
    queue_notice(pep, state="sent")
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_vsh, landing="The whole Virtual School")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Messages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages")
    check("16-messages")
    page.locator("#state-counts").get_by_role("link", name="1 failed").click()
    expect(page.locator("#selected-filters")).to_contain_text("State: Failed")
    page.get_by_role("link", name=failed.email.subject).click()
    expect(page.locator("#message-state")).to_contain_text("Not delivered after 1 attempt")
    check("17-message-failed")
    page.get_by_role("button", name="Resend").click()
    expect(page.get_by_role("alert")).to_contain_text("The message will be sent again")
    expect(page.locator("#message-state")).to_contain_text("Sent")
    assert [m.to for m in mailoutbox] == [["dt@example.org"]]
    check.assert_clean()


def test_first_sign_in_sets_up_the_authenticator_app(live_server, page, signed_in_officer):
    """Through the QR page for real: the key read off the page, a code computed from it."""
    check = _AxeCheck(page)
    page.goto(live_server.url + "/")
    page.fill("#id_username", signed_in_officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    expect(page.get_by_role("navigation", name="Menu")).to_have_count(0)
    check("second-factor-enrol")
    _screenshot(page, "second-factor-enrol-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    _screenshot(page, "second-factor-enrol-390")
    page.set_viewport_size(VIEWPORT)

    page.get_by_text("I cannot scan the QR code").click()
    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("#id_code", f"{totp(key):06d}")
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have saved my codes, continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")

    # Next time: the code page.
    page.get_by_role("button", name="Sign out").click()
    page.fill("#id_username", signed_in_officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")
    check("second-factor-code")
    _screenshot(page, "second-factor-code-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    _screenshot(page, "second-factor-code-390")


# --- Issue 10 (hardening): the main pages under the Content-Security-Policy -------------


def _watch_csp(page: Page) -> list[str]:
    """Console errors (a CSP violation is reported there as "Refused to ...") and page
    errors, as they happen."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    return problems


def test_main_pages_have_no_csp_violations_and_pass_axe(live_server, page, signed_in_manager, pep, officer):
    problems = _watch_csp(page)
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    check("csp-01-home")
    # The body class set by base.html's nonced script: scripts run under the policy.
    expect(page.locator("body")).to_have_class(re.compile(r"\bjs-enabled\b"))
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="PEPs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("PEPs")
    # The search posts: the address carries a token, never the name.
    page.locator("#id_q").fill(pep.child.last_name)
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("link", name=pep.child.full_name, exact=True)).to_be_visible()
    assert pep.child.last_name not in page.url and "search=" in page.url
    expect(page.locator("#id_q")).to_have_value(pep.child.last_name)
    check("csp-02-pep-list-searched")
    page.get_by_role("link", name=pep.child.full_name, exact=True).click()
    check("csp-03-pep-detail")
    page.get_by_role("button", name="Rate this PEP").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rate the PEP")
    _rate(page, ["Gold", "Green"])  # htmx posts and swaps the judgement in
    expect(_judgement(page)).to_contain_text("2 of 8 areas rated")
    check("csp-04-rate")
    # Leaving while htmx still posts a change aborts it, which htmx logs as an error: a
    # person clicks on after the page settles, so wait for it to (no request in flight).
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Reports").click()
    page.wait_for_load_state("load")
    check("csp-05-reports")
    page.get_by_text("Judgements by school (").click()  # htmx fetches the table of schools
    expect(page.locator("#table-school")).to_be_visible()
    assert not problems, "console errors or CSP violations:\n" + "\n".join(problems)
    check.assert_clean()


# --- one-to-one supervision -------------------------------------------------------------


def test_a_manager_records_a_supervision_from_a_red_review(
    live_server, page, signed_in_manager, signed_in_officer, pep
):
    review = start_review(pep, signed_in_manager)
    review = save_review(
        review,
        rate_all(review, ["red"] * 5 + ["amber"] * 3, comment="No SMART targets"),
        strengths="",
        development_points="Make the targets SMART",
        submit=True,
    )
    due = timezone.localdate() + timedelta(days=5)
    # An action still open from the last supervision: carried into this one.
    earlier = SupervisionFactory(
        officer=signed_in_officer, manager=signed_in_manager, date=timezone.localdate() - timedelta(days=30)
    )
    PracticeActionFactory(supervision=earlier, description="Invite the SW to every PEP meeting")
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    page.goto(live_server.url + reverse("reviews:detail", args=[review.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Red")
    page.get_by_role("link", name=re.compile("^Record a supervision")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Record a supervision")
    ticked = page.get_by_role("checkbox", name=re.compile(re.escape(pep.child.la_reference)))
    expect(ticked).to_be_checked()
    expect(page.locator(".app-supervision-review").first).to_contain_text("No SMART targets")
    check("supervision-new")
    carried = page.get_by_role("group", name="Invite the SW to every PEP meeting")
    carried.get_by_role("radio", name="Done", exact=True).check()
    page.get_by_label("What came of it").fill("The SW came to both meetings")
    page.get_by_label("What", exact=True).first.fill("Make every target SMART")
    action_1 = page.get_by_role("group", name="Action 1")
    action_1.get_by_label("Day").fill(str(due.day))
    action_1.get_by_label("Month").fill(str(due.month))
    action_1.get_by_label("Year").fill(str(due.year))
    training_1 = page.get_by_role("group", name="Training 1")
    training_1.get_by_label("Training or shadowing").select_option("shadowing")
    training_1.get_by_label("With whom").fill("An experienced VSO")
    training_1.get_by_label("Day").fill(str(due.day))
    training_1.get_by_label("Month").fill(str(due.month))
    training_1.get_by_label("Year").fill(str(due.year))
    page.get_by_role("button", name="Record the supervision").click()

    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Supervision of {signed_in_officer} recorded"
    )
    expect(page.locator("#actions")).to_contain_text("Make every target SMART")
    expect(page.locator("#training")).to_contain_text("An experienced VSO")
    expect(page.locator("main")).to_contain_text("No SMART targets")
    expect(page.locator("#followed-up")).to_contain_text("The SW came to both meetings")
    check("supervision-detail")
    _screenshot(page, "supervision-detail")
    check.assert_clean()


def test_the_supervision_pages_pass_axe(live_server, page, signed_in_manager, signed_in_officer):
    due = timezone.localdate() + timedelta(days=5)
    supervision = SupervisionFactory(officer=signed_in_officer, manager=signed_in_manager)
    PracticeActionFactory(supervision=supervision, description="Make every target SMART", due=due)
    PracticeActionFactory(
        supervision=supervision,
        description="Invite the SW to every PEP meeting",
        status="done",
        outcome="The SW came to both meetings",
        closed_on=timezone.localdate(),
    )
    TrainingOfferFactory(supervision=supervision, with_whom="An experienced VSO")
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    page.goto(live_server.url + reverse("practice:supervision_detail", args=[supervision.pk]))
    page.get_by_role("link", name="Change the supervision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the supervision")
    check("supervision-edit")
    page.get_by_role("link", name="Back to the supervision").click()
    page.get_by_role("link", name="Supervision", exact=True).first.click()
    expect(page.locator("#supervisions tbody tr")).to_have_count(1)
    check("supervision-list")
    _screenshot(page, "supervision-list")

    check.assert_clean()


def test_the_officer_sees_their_actions_and_training_on_my_development(
    live_server, page, signed_in_manager, signed_in_officer
):
    due = timezone.localdate() + timedelta(days=5)
    supervision = SupervisionFactory(officer=signed_in_officer, manager=signed_in_manager)
    PracticeActionFactory(supervision=supervision, description="Make every target SMART", due=due)
    PracticeActionFactory(
        supervision=supervision,
        description="Invite the SW to every PEP meeting",
        status="done",
        outcome="The SW came to both meetings",
        closed_on=timezone.localdate(),
    )
    TrainingOfferFactory(supervision=supervision, with_whom="An experienced VSO")
    _sign_in(page, live_server, signed_in_officer, landing="My caseload")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="My development").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My development")
    expect(page.locator("#due-soon")).to_contain_text("Make every target SMART")
    expect(page.locator("#actions")).to_contain_text("Make every target SMART")
    expect(page.locator("#training")).to_contain_text("An experienced VSO")
    expect(page.locator("#actions")).to_contain_text("The SW came to both meetings")
    _screenshot(page, "my-development")


# --- learning from the ratings, and Gold practice ------------------------------------------


def test_the_learning_and_gold_practice_pages_pass_axe(live_server, page, signed_in_manager, pep, officer):
    """The manager's learning page (an Amber/Red review of the team), the review page's
    "What made this Gold" (with a mark refused, then saved) and the library."""
    weak = PepFactory(child=ChildFactory(allocated_officer=officer), term=pep.term, status=PepStatus.SUBMITTED)
    review = start_review(weak, signed_in_manager)
    save_review(
        review,
        rate_all(review, ["red", "amber", *["green"] * 6]),
        strengths="",
        development_points="Invite the SW",
        submit=True,
    )
    gold = start_review(pep, signed_in_manager)
    save_review(gold, rate_all(gold, ["gold"] * 8), strengths="", development_points="", submit=True)
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Learning").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Learning from the ratings")
    expect(page.locator("#by-area tbody tr").first).to_contain_text("PEP meeting")
    check("40-learning")
    page.goto(f"{live_server.url}/reviews/{gold.pk}/")
    page.get_by_role("button", name="Save what made it Gold").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What made this Gold")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the PEP as a whole")
    check("41-gold-mark-errors")
    page.get_by_label("The PEP as a whole").check()
    page.get_by_label("What made it Gold").fill("The child's voice shapes every target")
    page.get_by_role("button", name="Save what made it Gold").click()
    expect(page.locator("#gold-marks")).to_contain_text("The child's voice shapes every target")
    check("42-review-gold-marked")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Gold exemplars").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gold exemplars")
    check("43-exemplar-library")
    check.assert_clean()


def test_the_vshs_curation_pages_pass_axe(live_server, page, signed_in_vsh, manager, pep, officer):
    gold = start_review(pep, manager)
    save_review(gold, rate_all(gold, ["gold"] * 8), strengths="", development_points="", submit=True)
    GoldExemplar.objects.create(review=gold, marked_by=manager, what_made_it_gold=f"{pep.child.first_name} led it")
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_vsh, landing="The whole Virtual School")
    page.goto(f"{live_server.url}/qa/exemplars/proposals/")
    check("44-exemplar-proposals")
    page.get_by_role("link", name="Curate").click()
    page.get_by_label("Title in the library").fill("Leading the meeting")
    page.get_by_role("button", name="Add to the library").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Remove the child's first name")
    expect(page.get_by_label("Title in the library")).to_have_value("Leading the meeting")
    check("45-exemplar-curate-errors")
    page.get_by_label("Anonymised text").fill("The child led the meeting.")
    page.get_by_role("button", name="Add to the library").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gold exemplars to curate")
    check.assert_clean()
    assert GoldExemplar.objects.get().status == "in_library"


# --- the board report's commentary ------------------------------------------------------


def test_the_vsh_writes_the_board_reports_commentary(live_server, page, signed_in_vsh):
    """From the reports page: type the commentary and next steps, save, see it saved and
    previewed, and the reports page says it is written. axe on the page, also with an error."""
    term = TermFactory(academic_year=timezone.localdate().year - 1)
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_vsh, landing="The whole Virtual School")
    page.goto(f"{live_server.url}/reports/pdf/?term={term.pk}")
    expect(page.locator("#commentary-written")).to_contain_text("Not written")
    page.get_by_role("link", name="Write the commentary and actions arising").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Commentary for the board report")
    check("40-board-commentary")
    page.get_by_label("Commentary from the Virtual School Head").fill("x" * 6001)
    page.get_by_role("button", name="Save the commentary").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be 6,000 characters or fewer")
    check("41-board-commentary-error")
    page.get_by_label("Commentary from the Virtual School Head").fill("Completion rose this term.\n\nGold held steady.")
    page.get_by_label("Actions arising: next steps").fill("Train every new designated teacher by March.")
    page.get_by_role("button", name="Save the commentary").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Commentary saved for {term}.")
    expect(page.locator("#preview-text")).to_contain_text("Gold held steady.")
    expect(page.get_by_role("button", name=f"Prepare the board report for {term}")).to_be_visible()
    check("42-board-commentary-saved")
    page.locator(".govuk-back-link").click()
    expect(page.locator("#commentary-written")).to_contain_text("Written last saved by Vera Head")
    check.assert_clean()


def test_every_page_has_the_same_width(live_server, browser, signed_in_manager, pep, officer):
    """One layout: lists (the PEP list) and forms and pages (the PEP, the
    accessibility statement) share the page width, so nothing jumps between pages."""
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    page = context.new_page()
    try:
        _sign_in(page, live_server, signed_in_manager)
        widths = {}
        for name, path in [
            ("start", "/"),
            ("PEP list", reverse("peps:list")),
            ("PEP", reverse("peps:detail", args=[pep.pk])),
            ("accessibility statement", reverse("accessibility")),
        ]:
            page.goto(live_server.url + path)
            widths[name] = {
                part: page.locator(selector).first.bounding_box()["width"]
                for part, selector in [("main", "main"), ("header", ".govuk-service-navigation .govuk-width-container")]
            }
        assert len({w["main"] for w in widths.values()}) == 1, widths
        assert all(w["header"] == w["main"] for w in widths.values()), widths
    finally:
        context.close()


# --- moderation ---------------------------------------------------------------------------


def test_settling_a_moderation_disagreement_without_a_judgement_shows_the_error_summary(
    live_server, page, signed_in_manager, one_re_rating
):
    """Settling without a judgement: the error summary linked to the radios, the notes kept
    (axe on that page, which holds the disagreement still to settle)."""
    pep = one_re_rating.pep
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    page.goto(f"{live_server.url}{reverse('sampling:moderation')}?term={pep.term.pk}")
    expect(page.locator("#overall-agreed")).to_have_text("0 of 1")
    expect(page.locator("#overall-kappa")).to_have_text("Too few re-ratings to compute kappa (need 10)")
    card = page.locator(f"#disagreement-{one_re_rating.pk}")
    card.get_by_label("Notes").fill("We went through the targets together.")
    card.get_by_role("button", name="Record the agreed judgement").click()

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_visible()
    expect(page).to_have_title("Error: Moderation – PEP quality assurance – Hillingdon Virtual School")
    card = page.locator(f"#disagreement-{one_re_rating.pk}")
    expect(card.get_by_label("Notes")).to_have_value("We went through the targets together.")
    summary.get_by_role("link", name="Choose the judgement you agreed").click()
    expect(card.get_by_role("radio", name="Gold", exact=True)).to_be_focused()
    check("moderation-01-settle-error")
    check.assert_clean()


def test_settling_a_moderation_disagreement_applies_it_to_the_pep(live_server, page, signed_in_manager, one_re_rating):
    pep = one_re_rating.pep
    check = _AxeCheck(page)
    _sign_in(page, live_server, signed_in_manager)
    page.goto(f"{live_server.url}{reverse('sampling:moderation')}?term={pep.term.pk}")
    card = page.locator(f"#disagreement-{one_re_rating.pk}")
    card.get_by_role("radio", name="Green", exact=True).check()
    card.get_by_role("button", name="Record the agreed judgement").click()
    expect(page.get_by_text("Agreed judgement recorded and applied to the PEP")).to_be_visible()
    expect(page.locator(f"#settled-{one_re_rating.pk}")).to_contain_text("Applied to the PEP (it was Gold).")
    check("moderation-02-settled")
    pep.refresh_from_db()
    assert pep.judgement == "green"
    check.assert_clean()
