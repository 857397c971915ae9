"""The report PDFs: rendered, read back (pypdf, and pdftotext where installed) and checked
against a hand-counted term; the request -> task -> ready flow; who may see what.

The hand-counted term: five PEPs of five children, in two social care teams.

    PEP  completed            judgement  meeting  SW attended  SW section  team
    1    before the deadline  gold       yes      yes          updated     A
    2    before the deadline  green      yes      yes          updated     A
    3    before the deadline  amber      yes      no           updated     A
    4    after the deadline   red        yes      yes          not         B
    5    not completed        (none)     no       -            not         B

So: 3 of 5 (60%) completed by the deadline, 4 of 5 (80%) completed; 2 of 4 judged (50%)
good or better, 1 Gold (25%); SW attended 3 of 4 meetings (75%), updated 3 of 5 (60%).
Exceptions: team A, PEP 3 (did not attend); team B, PEPs 4 and 5 (section not updated).
"""

import io
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfReader

from core.vocabulary import Role, Season
from peps.models import PepStatus, SocialCareTeam
from reporting import charts, exports, pdf
from reporting import figures as reporting_figures
from reporting import services as report_services
from reporting.commentary import save_commentary
from reporting.figures import social_care_team_exceptions, term_figures
from reporting.models import ReportKind, ReportRequest, ReportStatus
from reporting.services import build_report, request_report
from reporting.tasks import build_report as build_report_task

from .factories import ChildFactory, PepFactory, SocialCareTeamFactory, SocialWorkerFactory, TermFactory, UserFactory
from .services import RESULT_TIMEOUT, require_service
from .test_reporting_figures import actions_term, public_term  # noqa: F401 - fixtures
from .test_reporting_views import block, dashboard

PDFTOTEXT = shutil.which("pdftotext")


# --- helpers ---------------------------------------------------------------------------


def pages_text(content: bytes) -> list[str]:
    """Each page's text (pypdf), whitespace collapsed."""
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(content)).pages]


def pdftotext(content: bytes) -> str | None:
    if not PDFTOTEXT:
        return None
    out = subprocess.run([PDFTOTEXT, "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def all_texts(content: bytes) -> list[str]:
    """The whole document's text from each extractor available."""
    texts = [" ".join(pages_text(content))]
    other = pdftotext(content)
    if other is not None:
        texts.append(other)
    return texts


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def term_data(db):
    term = TermFactory(academic_year=2011, season=Season.AUTUMN)
    deadline = term.pep_deadline
    team_a = SocialCareTeamFactory(
        name="Alpha Children in Care", manager_name="Ann Manager", manager_email="ann.manager@example.org"
    )
    team_b = SocialCareTeamFactory(
        name="Beta Leaving Care", manager_name="Ben Manager", manager_email="ben.manager@example.org"
    )
    sw_a = SocialWorkerFactory(team=team_a, name="Sally Worker")
    sw_b = SocialWorkerFactory(team=team_b, name="Sam Worker")
    rows = [
        # completed, judgement, meeting, attended, updated, social worker
        (deadline - timedelta(days=5), "gold", True, True, True, sw_a),
        (deadline - timedelta(days=1), "green", True, True, True, sw_a),
        (deadline, "amber", True, False, True, sw_a),
        (deadline + timedelta(days=3), "red", True, True, False, sw_b),
        (None, "", False, False, False, sw_b),
    ]
    peps = []
    for n, (completed, judgement, meeting, attended, updated, sw) in enumerate(rows, start=1):
        child = ChildFactory(
            la_reference=f"REF-{n:04d}",
            first_name=f"Childfirst{n}",
            last_name=f"Childlast{n}",
            year_group=5,
            social_worker=sw,
        )
        peps.append(
            PepFactory(
                child=child,
                term=term,
                status=PepStatus.FINALISED if completed else PepStatus.SUBMITTED,
                date_completed=completed,
                judgement=judgement,
                meeting_date=term.start_date + timedelta(weeks=3) if meeting else None,
                sw_attended=attended,
                sw_section_updated=updated,
            )
        )
    return {"term": term, "peps": peps, "children": [p.child for p in peps]}


@pytest.fixture
def eighths(db):
    """Eight PEPs, each an eighth (12.5%), where float rounding and rounding each share on
    its own both go wrong:

        PEPs  completed            judgements
        5     before the deadline  3 Gold, 2 Green
        1     after the deadline   1 Amber
        2     not completed        1 Amber, 1 Red

    On time 5 of 8 = 62.5%: 63% (float round(): 62%). Good or better 5 of 8: 63%.
    Gold 37.5, Green 25, Amber 25, Red 12.5: rounded one by one, 38 + 25 + 25 + 13 = 101;
    as shown, 38, 25, 25, 12 (the unit left goes to the earlier of the two halves).
    On time, late, not completed: 62.5, 12.5, 25: as shown, 63, 12, 25.
    """
    term = TermFactory(academic_year=2013, season=Season.SUMMER)
    deadline = term.pep_deadline
    rows = [(deadline - timedelta(days=1), judgement) for judgement in ("gold", "gold", "gold", "green", "green")]
    rows += [(deadline + timedelta(days=1), "amber"), (None, "amber"), (None, "red")]
    for completed, judgement in rows:
        PepFactory(
            term=term,
            date_completed=completed,
            judgement=judgement,
            status=PepStatus.FINALISED if completed else PepStatus.SUBMITTED,
        )
    return term


@pytest.fixture
def empty_term(db):
    return TermFactory(academic_year=2012, season=Season.SPRING)


def child_identifiers(children) -> list[str]:
    """Everything that would identify a child: names, references, dates of birth in the
    formats the service uses anywhere."""
    found = []
    for child in children:
        dob = child.date_of_birth
        found += [
            child.first_name,
            child.last_name,
            child.la_reference,
            f"{dob.day} {dob:%B %Y}",
            f"{dob.day} {dob:%b %Y}",
            f"{dob:%d/%m/%Y}",
            dob.isoformat(),
        ]
    return found


# --- the board report ----------------------------------------------------------------


def test_the_headlines_in_words_are_hand_counted(term_data):
    figures = pdf.term_figures(term_data["term"])
    assert pdf.headlines(figures)[:4] == [
        "60% of PEPs were completed by the deadline (3 of 5).",
        "80% of PEPs due this term have been completed (4 of 5).",
        "50% of quality-assured PEPs were rated good or better, Gold or Green (2 of 4).",
        "1 PEP rated Gold: 25% of quality-assured PEPs.",
    ]
    assert "Social workers attended 75% of PEP meetings (3 of 4)." in pdf.headlines(figures)
    assert "Social workers updated their section in 60% of PEPs (3 of 5)." in pdf.headlines(figures)


def test_board_report_pdf_presents_the_figures(term_data):
    term = term_data["term"]
    content = pdf.board_report_pdf(term)

    assert content.startswith(b"%PDF")
    pages = pages_text(content)
    assert len(pages) >= 3
    cover = pages[0]
    assert "London Borough of Hillingdon" in cover and "Hillingdon Virtual School" in cover
    assert "Personal Education Plans: completion and quality" in cover
    assert str(term) in cover and "Report to the Corporate Parenting Board" in cover
    assert f"Page 1 of {len(pages)}" in cover
    assert all(f"Page {n} of {len(pages)}" in text for n, text in enumerate(pages, start=1))
    for text in all_texts(content):
        for sentence in (
            "60% of PEPs were completed by the deadline (3 of 5).",
            "80% of PEPs due this term have been completed (4 of 5).",
            "50% of quality-assured PEPs were rated good or better, Gold or Green (2 of 4).",
            "Social workers attended 75% of PEP meetings (3 of 4).",
            "Social workers updated their section in 60% of PEPs (3 of 5).",
        ):
            assert sentence in text
        assert "Gold practice" in text and "Summary" in text
        assert "Alpha Children in Care" in text and "Beta Leaving Care" in text  # SW by team
        assert "No data for this term" in text  # no PEPs moderated
    # The running header from page 2 on.
    assert "Personal Education Plans: completion and quality – Autumn 2011/12" in pages[1]


def test_board_report_has_no_child_names_dates_of_birth_or_references(term_data):
    content = pdf.board_report_pdf(term_data["term"])
    identifiers = child_identifiers(term_data["children"])
    for text in all_texts(content):
        for identifier in identifiers:
            assert identifier not in text
        assert not re.search(r"REF-\d{4}", text)
    # The social care report, by contrast, carries the references (so the check has teeth).
    assert "REF-0003" in " ".join(pages_text(pdf.social_care_report_pdf(term_data["term"])))


def test_board_report_of_an_empty_term_says_no_data(empty_term):
    content = pdf.board_report_pdf(empty_term)

    pages = pages_text(content)
    assert len(pages) >= 3
    text = " ".join(pages)
    assert f"No data for this term: no PEPs are recorded for {empty_term}." in text
    assert text.count("No data for this term") >= 5
    assert not re.search(r"\b\d+% of PEPs", text)
    assert f"Page 1 of {len(pages)}" in text


# --- the same figures as the dashboard ---------------------------------------------------


def _number(body: str, headline: str) -> str:
    return re.search(r'<span class="app-headline__number">([^<]+)</span>', block(body, headline)).group(1)


def _table_after(html_text: str, heading: str) -> str:
    return re.search(rf"{re.escape(heading)}.*?<table[^>]*>(.*?)</table>", html_text, re.S).group(1)


def _percents(fragment: str) -> list[int]:
    return [int(n) for n in re.findall(r">(\d+)%<", fragment)]


def test_the_dashboard_and_the_board_pdf_show_the_same_percentages(client, vsh, eighths):
    """5 of 8 is 62.5%: the dashboard and the PDF both say 63% (it once read 62% on the
    dashboard, float round(), and 63% in the PDF)."""
    client.force_login(vsh)
    body = dashboard(client, eighths)
    on_time, good = _number(body, "headline-on-time"), _number(body, "headline-good")
    shown = _percents(block(body, "table-quality"))
    assert (on_time, good, shown) == ("63%", "63%", [38, 25, 25, 12])

    for text in all_texts(pdf.board_report_pdf(eighths)):
        assert f"{on_time} of PEPs were completed by the deadline (5 of 8)." in text
        assert f"{good} of quality-assured PEPs were rated good or better, Gold or Green (5 of 8)." in text
        assert "Gold 3 38% Green 2 25% Amber 2 25% Red 1 12% Good or better (Gold or Green) 5 63%" in text
        assert "3 PEPs rated Gold: 38% of quality-assured PEPs." in text
        # The chart, drawn in the PDF too, says the same.
        assert "Gold 3 (38%) Green 2 (25%) Amber 2 (25%) Red 1 (12%)" in text


def test_every_set_of_shares_of_one_whole_adds_up_to_100(client, vsh, eighths):
    board = pdf.board_report_html(eighths)
    completion = _table_after(board, "PEPs due, completed and completed by the deadline")
    assert _percents(completion) == [100, 63, 12, 25]  # due; by the deadline, after, not yet: 100
    quality = _table_after(board, "Overall judgements")
    *split, good_or_better = _percents(quality)
    assert split == [38, 25, 25, 12] and sum(split) == 100  # not 38 + 25 + 25 + 13 = 101
    assert good_or_better == split[0] + split[1]

    client.force_login(vsh)
    body = dashboard(client, eighths)
    assert _percents(block(body, "table-quality")) == split
    rows = {(row[0], row[3]): row[4] for row in exports.figure_rows(term_figures(eighths), []) if row[1] == "Term"}
    assert [rows["Quality", f"% {label}"] for label in ("Gold", "Green", "Amber", "Red")] == split
    assert rows["Quality", "% good or better"] == good_or_better
    assert rows["Completion", "% completed by the deadline"] == 63


def _svg(html_text: str, chart_id: str) -> ET.Element:
    return ET.fromstring(re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', html_text, re.S).group(0))


def _drawing(svg: ET.Element) -> tuple[list, list]:
    """What a chart draws: each shape's kind, fill and geometry, and each text."""
    shapes = [
        (el.tag, el.get("fill"), el.get("stroke"), el.get("width"), el.get("points"), el.get("cy"))
        for el in svg.iter()
        if el.tag.split("}")[1] in ("rect", "circle", "polyline", "line")
    ]
    return shapes, ["".join(t.itertext()) for t in svg.iter("{http://www.w3.org/2000/svg}text")]


def test_the_board_pdf_draws_the_dashboards_charts_in_its_palette(client, vsh, eighths):
    board = pdf.board_report_html(eighths)
    client.force_login(vsh)
    body = dashboard(client, eighths)
    for on_screen, in_pdf in (("chart-quality", "board-chart-quality"), ("chart-trend", "board-chart-trend")):
        assert _drawing(_svg(board, in_pdf)) == _drawing(_svg(body, on_screen))
    segments = [el for el in _svg(board, "board-chart-quality").iter() if el.get("class") == "app-chart__segment"]
    assert [el.get("fill") for el in segments] == [series.colour for series in charts.RATING_SERIES]


# --- the social care report ----------------------------------------------------------


def _team_sections(text: str) -> dict[str, str]:
    """The text under each team's heading (after the summary table)."""
    body = text.split("Section not updated", 1)[1]  # past the summary table's header
    a = body.rindex("Alpha Children in Care")
    b = body.rindex("Beta Leaving Care")
    # Each team: its heading and manager, then the rows after the table's header.
    return {key: section.split("Section not updated", 1)[1] for key, section in (("A", body[a:b]), ("B", body[b:]))} | {
        "A heading": body[a:b],
        "B heading": body[b:],
    }


def test_social_care_report_lists_the_exceptions_by_team(term_data):
    content = pdf.social_care_report_pdf(term_data["term"])

    for text in all_texts(content):
        assert "OFFICIAL-SENSITIVE" in text
        assert "Ann Manager" in text and "ann.manager@example.org" in text
        assert "Ben Manager" in text and "ben.manager@example.org" in text
        sections = _team_sections(text)
        assert set(re.findall(r"REF-\d{4}", sections["A"])) == {"REF-0003"}
        assert set(re.findall(r"REF-\d{4}", sections["B"])) == {"REF-0004", "REF-0005"}
        assert sections["A"].count("Did not attend") == 1
        assert sections["B"].count("Section not updated") == 2 and "Did not attend" not in sections["B"]
        assert "Sally Worker" in sections["A"] and "Sam Worker" in sections["B"]
        assert "Ann Manager" in sections["A heading"] and "Ben Manager" in sections["B heading"]
        assert "No meeting recorded" in sections["B"]
        # No child names, no dates of birth; the compliant children not listed at all.
        for child in term_data["children"]:
            assert child.first_name not in text and child.last_name not in text
            assert f"{child.date_of_birth:%d/%m/%Y}" not in text
        assert "REF-0001" not in text and "REF-0002" not in text


def test_social_care_report_with_no_exceptions(empty_term):
    text = " ".join(pages_text(pdf.social_care_report_pdf(empty_term)))
    assert "No exceptions this term" in text


def test_a_teams_own_report_lists_its_exceptions_and_no_other_teams(term_data):
    team_a = SocialCareTeam.objects.get(name="Alpha Children in Care")
    content = pdf.social_care_team_report_pdf(term_data["term"], social_care_team_exceptions(term_data["term"], team_a))

    for text in all_texts(content):
        assert "OFFICIAL-SENSITIVE" in text and "Alpha Children in Care: social workers and PEPs" in text
        assert "For Ann Manager, team manager" in text
        assert set(re.findall(r"REF-\d{4}", text)) == {"REF-0003"}
        assert "Sally Worker" in text and text.count("Did not attend") == 2  # the column and the row
        assert "Beta Leaving Care" not in text and "Ben Manager" not in text and "Sam Worker" not in text
        for child in term_data["children"]:
            assert child.first_name not in text and child.last_name not in text
            assert f"{child.date_of_birth:%d/%m/%Y}" not in text


def test_a_teams_own_report_with_nothing_to_report(term_data):
    quiet = SocialCareTeamFactory(name="Quiet team", manager_name="Quinn")
    text = " ".join(
        pages_text(
            pdf.social_care_team_report_pdf(term_data["term"], social_care_team_exceptions(term_data["term"], quiet))
        )
    )
    assert "No exceptions this term" in text and "REF-" not in text


def test_running_text_is_escaped_for_css():
    assert pdf.css_string('a"b</style>\\') == '"a\\22 b\\3c /style\\3e \\5c "'


# --- request -> task -> ready ----------------------------------------------------------


@pytest.mark.django_db
def test_request_builds_a_ready_report_eagerly_and_the_download_serves_it(
    eager,
    term_data,
    client,
    django_capture_on_commit_callbacks,  # noqa: F811 - fixture
):
    manager = UserFactory(role=Role.MANAGER)
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:request"), {"kind": "board", "term": term_data["term"].pk})

    report = ReportRequest.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:status", args=[report.pk])
    assert report.status == ReportStatus.READY and report.requested_by == manager
    assert report.pages >= 3 and report.size > 0 and report.file.name.startswith("reports/")
    assert report.finished_at and report.error == ""

    page = client.get(response.url)
    assert "Your report is ready" in page.content.decode()
    assert 'hx-trigger="every' not in page.content.decode()  # polling stops

    download = client.get(reverse("reports:download", args=[report.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    body = b"".join(download.streaming_content)
    assert body.startswith(b"%PDF") and len(body) == report.size
    assert len(PdfReader(io.BytesIO(body)).pages) == report.pages


@pytest.mark.django_db
def test_build_is_idempotent_and_a_failure_is_recorded(term_data, monkeypatch):
    manager = UserFactory(role=Role.MANAGER)
    report = ReportRequest.objects.create(kind=ReportKind.BOARD, term=term_data["term"], requested_by=manager)
    build_report(report.pk)
    report.refresh_from_db()
    first = (report.file.name, report.finished_at)

    def boom(term):
        raise AssertionError("a ready report must not be rendered again")

    monkeypatch.setitem(report_services.RENDERERS, ReportKind.BOARD, boom)
    assert build_report(report.pk).status == ReportStatus.READY
    report.refresh_from_db()
    assert (report.file.name, report.finished_at) == first

    failing = ReportRequest.objects.create(kind=ReportKind.BOARD, term=term_data["term"], requested_by=manager)
    assert build_report(failing.pk).status == ReportStatus.FAILED
    failing.refresh_from_db()
    assert "a ready report must not be rendered again" in failing.error and not failing.file


@pytest.mark.django_db
def test_status_page_while_being_prepared_polls_and_has_a_refresh_link(term_data, client):
    manager = UserFactory(role=Role.MANAGER)
    report = ReportRequest.objects.create(kind=ReportKind.BOARD, term=term_data["term"], requested_by=manager)
    client.force_login(manager)

    body = client.get(reverse("reports:status", args=[report.pk])).content.decode()
    assert "Your report is being prepared" in body
    assert 'hx-trigger="every 2s"' in body and f'hx-get="{reverse("reports:status", args=[report.pk])}"' in body
    assert ">Refresh</a>" in body
    partial = client.get(reverse("reports:status", args=[report.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'id="report-status"' in partial and "being prepared" in partial
    assert client.get(reverse("reports:download", args=[report.pk])).status_code == 404  # not ready

    report.status, report.error = ReportStatus.FAILED, "RuntimeError: out of paper"
    report.save()
    body = client.get(reverse("reports:status", args=[report.pk])).content.decode()
    assert "out of paper" in body and "Try again" in body and "hx-trigger" not in body


@pytest.mark.django_db
def test_a_double_click_does_not_queue_a_second_build(term_data):
    manager = UserFactory(role=Role.MANAGER)
    first = request_report(ReportKind.BOARD, term_data["term"], manager)
    assert request_report(ReportKind.BOARD, term_data["term"], manager) == first
    assert ReportRequest.objects.count() == 1


# --- who may see what ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "board", "social_care"),
    [
        (Role.OFFICER, 403, 403),
        (Role.MANAGER, 302, 200),
        (Role.LEAD, 302, 403),
        (Role.VSH, 302, 200),
        (Role.ADMINISTRATOR, 302, 403),
    ],
)
def test_access_by_role(eager, term_data, client, role, board, social_care):  # noqa: F811 - fixture
    client.force_login(UserFactory(role=role))
    term = term_data["term"]

    index = client.get(reverse("reports:index"), {"term": term.pk})
    assert index.status_code == (403 if role == Role.OFFICER else 200)
    assert client.post(reverse("reports:request"), {"kind": "board", "term": term.pk}).status_code == board
    # The old direct download starts nothing: it leads to the reports page of the term.
    response = client.get(reverse("reports:social_care"), {"term": term.pk})
    if social_care == 200:
        assert response.status_code == 302
        assert response.url == f"{reverse('reports:index')}?term={term.pk}#social-care"
        assert "no-store" in response["Cache-Control"]
        assert 'name="kind" value="social_care"' in index.content.decode()
    else:
        assert response.status_code == 403
    posted = client.post(reverse("reports:request"), {"kind": "social_care", "term": term.pk})
    if social_care == 200:
        report = ReportRequest.objects.get(kind=ReportKind.SOCIAL_CARE)
        assert posted.status_code == 302 and posted.url == reverse("reports:status", args=[report.pk])
    else:
        assert posted.status_code == 403
        assert not ReportRequest.objects.filter(kind=ReportKind.SOCIAL_CARE).exists()
        if index.status_code == 200:
            assert 'value="social_care"' not in index.content.decode()


def test_a_get_of_the_old_social_care_address_builds_nothing(eager, term_data, client, monkeypatch):  # noqa: F811
    def boom(*args, **kwargs):
        raise AssertionError("a GET must not build a report")

    monkeypatch.setattr(pdf, "social_care_report_html", boom)
    client.force_login(UserFactory(role=Role.VSH))
    response = client.get(reverse("reports:social_care"), {"term": term_data["term"].pk})
    assert response.status_code == 302 and not ReportRequest.objects.exists()


@pytest.mark.django_db
def test_the_social_care_report_is_prepared_like_the_board_report_and_downloaded_once_ready(
    eager,
    term_data,
    client,
    django_capture_on_commit_callbacks,  # noqa: F811 - fixture
):
    vsh = UserFactory(role=Role.VSH)
    client.force_login(vsh)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:request"), {"kind": "social_care", "term": term_data["term"].pk})
    report = ReportRequest.objects.get()
    assert response.url == reverse("reports:status", args=[report.pk])
    assert report.kind == ReportKind.SOCIAL_CARE and report.status == ReportStatus.READY, report.error
    assert "Your report is ready" in client.get(response.url).content.decode()

    download = client.get(reverse("reports:download", args=[report.pk]))
    assert download["Content-Disposition"].startswith('attachment; filename="social-care-report-')
    body = b"".join(download.streaming_content)
    reader = PdfReader(io.BytesIO(body))
    assert len(reader.pages) == report.pages
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Social workers and PEPs: exceptions by team" in text and "REF-0003" in text
    assert "no-store" in download["Cache-Control"]
    # The index lists it among the reports asked for.
    assert "Social care report, " in client.get(reverse("reports:index")).content.decode()


@pytest.mark.django_db
def test_a_social_care_request_whose_requester_was_removed_is_not_built_for_everyone(term_data):
    manager = UserFactory(role=Role.MANAGER)
    report = ReportRequest.objects.create(kind=ReportKind.SOCIAL_CARE, term=term_data["term"], requested_by=manager)
    manager.delete()
    report = build_report(report.pk)
    assert report.status == ReportStatus.FAILED and not report.file
    assert "no longer a user" in report.error


@pytest.mark.django_db
def test_only_the_requester_and_the_vsh_see_a_request(term_data, client):
    manager = UserFactory(role=Role.MANAGER)
    report = ReportRequest.objects.create(kind=ReportKind.BOARD, term=term_data["term"], requested_by=manager)
    build_report(report.pk)
    status_url = reverse("reports:status", args=[report.pk])
    download_url = reverse("reports:download", args=[report.pk])

    for other in (
        UserFactory(role=Role.MANAGER),
        UserFactory(role=Role.LEAD),
        UserFactory(role=Role.ADMINISTRATOR),
        UserFactory(role=Role.OFFICER),
    ):
        client.force_login(other)
        assert client.get(status_url).status_code == 404
        assert client.get(download_url).status_code == 404
    for allowed in (manager, UserFactory(role=Role.VSH)):
        client.force_login(allowed)
        assert client.get(status_url).status_code == 200
        assert client.get(download_url).status_code == 200
    client.logout()
    assert client.get(download_url).status_code == 302  # to sign in


@pytest.mark.django_db
def test_bad_input_is_a_404(client, term_data):
    client.force_login(UserFactory(role=Role.VSH))
    assert client.post(reverse("reports:request"), {"kind": "gossip", "term": term_data["term"].pk}).status_code == 404
    assert client.post(reverse("reports:request"), {"kind": "board", "term": "x"}).status_code == 404
    assert client.get(reverse("reports:social_care"), {"term": "999999"}).status_code == 404
    assert client.get(reverse("reports:request")).status_code == 405


# --- a real worker -------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_builds_the_board_report(worker_queue, term_data, settings):  # noqa: F811 - fixture
    require_service("celery worker", bool(worker_queue))
    # The worker writes under its own MEDIA_ROOT (the environment's), not this module's tmp one.
    settings.MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", settings.BASE_DIR / "media"))
    manager = UserFactory(role=Role.MANAGER)
    report = ReportRequest.objects.create(kind=ReportKind.BOARD, term=term_data["term"], requested_by=manager)

    result = build_report_task.apply_async(args=[report.pk], queue=worker_queue)
    assert result.get(timeout=RESULT_TIMEOUT) == ReportStatus.READY
    report.refresh_from_db()
    try:
        assert report.status == ReportStatus.READY and report.pages >= 3
        with report.file.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"
        # Idempotent on the worker too.
        assert (
            build_report_task.apply_async(args=[report.pk], queue=worker_queue).get(timeout=RESULT_TIMEOUT)
            == ReportStatus.READY
        )
    finally:
        report.file.delete(save=False)


def test_board_report_names_no_officer_and_no_team_manager(term_data):
    """The board report is a public paper: each of the five officers (one PEP each) is a
    letter, and the social care teams' managers are not shown. The dashboard keeps them."""
    officers = {pep.officer for pep in term_data["peps"]}
    assert len(officers) == 5
    content = pdf.board_report_pdf(term_data["term"])
    for text in all_texts(content):
        for officer in officers:
            for name in (officer.first_name, officer.last_name, officer.username, officer.get_full_name()):
                assert name not in text
        assert "Ann Manager" not in text and "Ben Manager" not in text
        assert all(f"Officer {letter}" in text for letter in "ABCDE")
        assert "Officer F" not in text
    assert {b.label for b in term_figures(term_data["term"]).by_officer} == {o.get_full_name() for o in officers}


def test_board_report_suppresses_small_rows_in_every_breakdown(public_term):  # noqa: F811 - fixture
    """Rows with fewer than 5 judged PEPs show no counts, with a second row where it is
    the only one (see the fixture: Carola 2 and Benedict 5; the two tiny schools
    combined, 2, and Middle 5); the rest show their counts."""
    content = pdf.board_report_pdf(public_term.term)
    names = [n for o in public_term.officers.values() for n in (o.first_name, o.last_name, o.username)]
    letters = reporting_figures.officer_letters(public_term.term, [o.pk for o in public_term.officers.values()])
    letter = {name.split()[0]: f"Officer {letters[o.pk]}" for name, o in public_term.officers.items()}
    hidden = " ".join(["[c]"] * 5)  # Gold, Green, Amber, Red, good or better
    for text in all_texts(content):
        assert not any(name in text for name in names)
        assert f"{letter['Alicia']} 6 6 1 5 0 0 100%" in text
        assert f"{letter['Carola']} [c] fewer than 5 {hidden}" in text
        assert f"{letter['Benedict']} [c] [c] {hidden}" in text
        assert "Big 6 6 1 5 0 0 100%" in text
        assert f"Middle [c] [c] {hidden}" in text
        assert "2 schools and settings with fewer than 5" in text
        assert "Tiny 1" not in text and "Tiny 2" not in text
        assert "Gold PEPs by school" in text and "Schools and settings whose figures are not shown, together 3" in text
        assert "[c]: not shown. In every table of this report a row with fewer than 5 judged PEPs" in text
        # The totals are the authority's: 13 judged, 3 Gold.
        assert "(13 of 13)" in text
    # pypdf keeps the combined row's wrapped label together.
    assert f"2 schools and settings with fewer than 5 judged PEPs each [c] fewer than 5 {hidden}" in " ".join(
        pages_text(content)
    )


def test_board_report_threshold_is_a_setting(public_term, settings):  # noqa: F811 - fixture
    settings.BOARD_REPORT_MIN_JUDGED = 1
    text = " ".join(pages_text(pdf.board_report_pdf(public_term.term)))
    assert all(name in text for name in public_term.schools)
    assert "[c] " not in text and "No row is hidden this term." in text
    assert not any(o.last_name in text for o in public_term.officers.values())


# --- actions arising (issue 11) ---------------------------------------------------------


def test_board_report_presents_the_actions_arising_and_names_nobody(actions_term):  # noqa: F811 - fixture
    """The counts and themes of tests/test_reporting_figures.py's hand-counted term, and
    none of the people, children or actions' words behind them."""
    from practice.models import PracticeAction

    from .factories import PracticeActionFactory, QaReviewFactory, SupervisionFactory

    term, today = actions_term.term, actions_term.today
    # One more, about a named child's PEP, owned and supervised by named staff: done.
    child = ChildFactory(first_name="Zebedee", last_name="Quartermaine")
    officer = UserFactory(role=Role.OFFICER, first_name="Ottoline", last_name="Vanstone")
    review = QaReviewFactory(pep=PepFactory(child=child, term=term), submitted=True)
    supervision = SupervisionFactory(officer=officer, date=term.start_date + timedelta(days=3))
    PracticeActionFactory(
        supervision=supervision,
        owner=officer,
        review=review,
        status="done",
        closed_on=today,
        description="Ring the designated teacher at Quillbury Academy",
    )
    owners = {str(a.owner) for a in PracticeAction.objects.select_related("owner")}
    people = {*owners, str(supervision.manager), str(officer), child.full_name, child.la_reference}
    descriptions = set(PracticeAction.objects.values_list("description", flat=True))

    content = pdf.board_report_pdf(term, today)
    for text in all_texts(content):
        assert "8. Actions arising" in text
        section = text[text.rindex("8. Actions arising") :]
        # 7 agreed: 3 open (2 overdue), 3 done, 1 not done; 4 at supervisions, 3 at peer
        # reviews; General 3, SMART targets 2, Voice of the child 2. Each split adds up to
        # 100 by the largest remainder (43 + 29 + 28: the tie's extra point to the first).
        assert "7 actions agreed" in section
        for row in (
            "Agreed 7 100%",
            "Open 3 43%",
            "Done 3 43%",
            "Not done 1 14%",
            "Overdue (open, past the due date) 2 29%",
            "Agreed at a supervision 4 57%",
            "Agreed at a peer review meeting 3 43%",
            "SMART targets 2 29%",
            "Voice of the child 2 28%",
            "General 3 43%",
        ):
            assert row in " ".join(section.split()), row
        for name in people | descriptions:
            assert name not in text, name
        assert "Quillbury" not in text


def test_board_report_without_actions_says_so(empty_term):
    text = " ".join(pages_text(pdf.board_report_pdf(empty_term)))
    assert "8. Actions arising" in text and "No actions were agreed at a supervision or peer review meeting" in text


# --- the VSH's commentary and next steps (issue 13, item 10) ---------------------------


def test_board_report_shows_the_vshs_commentary_after_the_headlines_and_next_steps_after_the_actions(term_data, vsh):
    term = term_data["term"]
    save_commentary(
        term,
        by=vsh,
        version=0,
        commentary="Completion rose this term.\n\nWe will <b>not</b> rest on it.",
        next_steps="Train every new designated teacher by March.",
    )
    content = pdf.board_report_pdf(term)
    for text in all_texts(content):
        text = " ".join(text.split())
        headlines = text.index("Headlines for")
        commentary = text.index("Commentary from the Virtual School Head")
        assert headlines < commentary < text.index("Contents") < text.index("1. Completion of PEPs", commentary)
        assert "Completion rose this term." in text
        assert "We will <b>not</b> rest on it." in text  # plain text: shown, never read as markup
        actions = text.rindex("8. Actions arising")
        steps = text.index("Actions arising: next steps")
        assert actions < steps < text.rindex("9. About these figures")
        assert "Train every new designated teacher by March." in text[steps:]


def test_board_report_without_commentary_shows_neither_section(term_data):
    text = " ".join(pages_text(pdf.board_report_pdf(term_data["term"])))
    assert "Commentary from the Virtual School Head" not in text
    assert "Actions arising: next steps" not in text


def test_board_report_counts_one_re_rating_and_withholds_kappa(one_re_rating):
    term = one_re_rating.sample.term
    html = pdf.board_report_html(term)
    table = html.split("<h3>Moderation</h3>")[1].split("</table>")[0]
    assert '<td>Same overall judgement</td><td class="num">0 of 1 agreed (0%)</td>' in table
    assert "Too few re-ratings to compute kappa (need 10)" in table
    assert "0.00" not in table
    assert "Moderators agreed with the original judgement on 0 of 1 moderated PEP (0%)." in pdf.headlines(
        pdf.term_figures(term)
    )


@pytest.mark.django_db
def test_a_social_care_pdf_is_not_served_to_its_requester_once_they_may_no_longer_ask_for_one(term_data, client):
    # It names children by reference: a manager since made an officer (or a lead) keeps
    # no access to the one they asked for as a manager.
    manager = UserFactory(role=Role.MANAGER)
    report = ReportRequest.objects.create(kind=ReportKind.SOCIAL_CARE, term=term_data["term"], requested_by=manager)
    assert build_report(report.pk).status == ReportStatus.READY
    client.force_login(manager)
    download_url = reverse("reports:download", args=[report.pk])
    assert client.get(download_url).status_code == 200
    for role in (Role.OFFICER, Role.LEAD):
        manager.role = role
        manager.save(update_fields=["role"])
        assert client.get(download_url).status_code == 404
        assert client.get(reverse("reports:status", args=[report.pk])).status_code == 404


@pytest.mark.django_db
def test_a_social_care_request_is_not_built_for_a_requester_who_may_no_longer_ask_for_one(term_data):
    manager = UserFactory(role=Role.MANAGER)
    report = ReportRequest.objects.create(kind=ReportKind.SOCIAL_CARE, term=term_data["term"], requested_by=manager)
    manager.role = Role.LEAD  # sees the whole school, but may not have the social care report
    manager.save(update_fields=["role"])
    report = build_report(report.pk)
    assert report.status == ReportStatus.FAILED and not report.file
