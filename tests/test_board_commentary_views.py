"""The board report's commentary page and its Word download (web/reporting/board_views.py):
only the VSH writes it; bad input and a stale tab keep what was typed; the reports page
says whether it is written; the Word version for whoever may ask for the board report,
recorded in the audit trail."""

import io
import re

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from docx import Document

from audit.models import AuditEntry
from core.vocabulary import Role, Season
from reporting.models import COMMENTARY_MAX, BoardCommentary

from .factories import TermFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("reports:commentary")
WORD = reverse("reports:board_docx")


@pytest.fixture
def term(db):
    return TermFactory(academic_year=2019, season=Season.AUTUMN)


def version_of(body: str) -> str:
    return re.search(r'name="version" value="(\d+)"', body).group(1)


def post(client, term, version, commentary="", next_steps=""):
    return client.post(PAGE, {"term": term.pk, "version": version, "commentary": commentary, "next_steps": next_steps})


def test_the_vsh_writes_it_saves_it_and_the_reports_page_says_so(client, vsh, term):
    client.force_login(vsh)
    body = client.get(PAGE, {"term": term.pk}).content.decode()
    assert "Commentary for the board report" in body and "Not written yet" in body
    index = client.get(reverse("reports:index"), {"term": term.pk}).content.decode()
    assert ">Not written<" in index and "Write the commentary and actions arising" in index

    response = post(client, term, version_of(body), "The figures improved.\r\n\r\nGold rose.", "Train DTs.")
    assert response.status_code == 302 and response["Location"] == f"{PAGE}?term={term.pk}"
    page = client.get(response["Location"]).content.decode()
    assert f"Commentary saved for {term}." in page
    assert "Prepare the board report for" in page  # the next step, from here
    assert '<p class="govuk-body">The figures improved.</p>' in page  # the preview, as saved
    saved = BoardCommentary.objects.get(term=term)
    assert (saved.commentary, saved.next_steps, saved.updated_by) == (
        "The figures improved.\n\nGold rose.",
        "Train DTs.",
        vsh,
    )
    index = client.get(reverse("reports:index"), {"term": term.pk}).content.decode()
    assert ">Written<" in index and "Change the commentary and actions arising" in index


@pytest.mark.parametrize("role", [Role.MANAGER, Role.LEAD, Role.ADMINISTRATOR, Role.OFFICER])
def test_nobody_but_the_vsh_opens_or_posts_it(client, term, role):
    client.force_login(UserFactory(role=role))
    assert client.get(PAGE, {"term": term.pk}).status_code == 403
    assert post(client, term, "0", "Mine now").status_code == 403
    assert not BoardCommentary.objects.exists()
    if role != Role.OFFICER:
        # Those who may prepare the board report are not offered the commentary.
        index = client.get(reverse("reports:index"), {"term": term.pk}).content.decode()
        assert "commentary and actions arising" not in index and "as a Word document" in index


def test_too_long_keeps_what_was_typed_with_the_error_summary(client, vsh, term):
    client.force_login(vsh)
    typed = "x" * (COMMENTARY_MAX + 1)
    response = post(client, term, "0", typed, "Kept next steps")
    body = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in body
    assert f"The commentary must be {COMMENTARY_MAX:,} characters or fewer (it is {COMMENTARY_MAX + 1:,})" in body
    assert typed in body and "Kept next steps" in body
    assert not BoardCommentary.objects.exists()
    # A browser sends each line break as two characters: the limit counts one.
    lines = "\r\n".join(["y" * 99] * (COMMENTARY_MAX // 100))
    assert post(client, term, "0", lines).status_code == 302


def test_a_stale_tab_is_told_keeps_what_was_typed_and_may_then_save(client, vsh, term):
    client.force_login(vsh)
    opened = version_of(client.get(PAGE, {"term": term.pk}).content.decode())
    assert post(client, term, opened, "From the first tab").status_code == 302
    response = post(client, term, opened, "From the second tab")
    body = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in body and "changed in another tab or by someone else" in body
    assert "From the second tab" in body  # kept in the box
    assert BoardCommentary.objects.get(term=term).commentary == "From the first tab"
    # Told, the form now carries the saved version: saving again is a choice.
    assert post(client, term, version_of(body), "From the second tab").status_code == 302
    assert BoardCommentary.objects.get(term=term).commentary == "From the second tab"


@pytest.mark.parametrize("version", ["", "x", "-1", "99999999999999999999"])
def test_an_unreadable_version_is_refused_as_stale(client, vsh, term, version):
    client.force_login(vsh)
    response = post(client, term, version, "Typed")
    assert response.status_code == 200 and "changed in another tab" in response.content.decode()
    assert not BoardCommentary.objects.exists()


def test_a_term_that_is_not_one_is_a_404(client, vsh, term):
    client.force_login(vsh)
    assert client.get(PAGE, {"term": "999999"}).status_code == 404
    assert client.get(WORD, {"term": "²"}).status_code == 404


@pytest.mark.parametrize("role", [Role.VSH, Role.MANAGER, Role.LEAD, Role.ADMINISTRATOR])
def test_the_word_version_downloads_for_whoever_may_ask_for_the_board_report(client, term, role):
    user = UserFactory(role=role)
    client.force_login(user)
    response = client.get(WORD, {"term": term.pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response["Content-Disposition"] == 'attachment; filename="board-report-autumn-2019-20.docx"'
    assert Document(io.BytesIO(response.content)).core_properties.title.endswith(str(term))
    entry = AuditEntry.objects.filter(action=LogEntry.Action.ACCESS).latest("timestamp")
    assert entry.actor == user and entry.additional_data["download"] == "board report (Word)"
    assert entry.additional_data["filters"] == {"term": str(term)}


def test_an_officer_gets_no_word_version(client, officer, term):
    client.force_login(officer)
    assert client.get(WORD, {"term": term.pk}).status_code == 403


def test_the_dashboard_links_to_the_commentary_for_the_vsh_only_and_to_the_word_version(client, vsh, manager, term):
    client.force_login(vsh)
    body = client.get(reverse("reporting:dashboard"), {"term": term.pk}).content.decode()
    assert f'href="{PAGE}?term={term.pk}" id="dashboard-commentary-link"' in body
    assert f'href="{WORD}?term={term.pk}"' in body
    client.force_login(manager)
    body = client.get(reverse("reporting:dashboard"), {"term": term.pk}).content.decode()
    assert "dashboard-commentary-link" not in body and f'href="{WORD}?term={term.pk}"' in body
