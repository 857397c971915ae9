"""reporting.charts: SVG built from numbers, with no database."""

import re
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import pytest

from reporting import charts
from reporting.figures import split

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))  # raises if the SVG is not well-formed XML


def segments(root) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "app-chart__segment"]


def texts(root) -> list[str]:
    return ["".join(text.itertext()) for text in root.iter(f"{SVG}text")]


def test_stacked_bar_is_labelled_and_described():
    root = parse(charts.stacked_bar("chart-q", "Judgements", "What it shows", [1, 2, 3, 4], split([1, 2, 3, 4])))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-q-title"
    assert root.get("aria-describedby") == "chart-q-desc"
    assert root.find(f"{SVG}title").text == "Judgements"
    assert root.find(f"{SVG}title").get("id") == "chart-q-title"
    assert root.find(f"{SVG}desc").get("id") == "chart-q-desc"


def test_stacked_bar_widths_are_proportional_to_the_values():
    root = parse(charts.stacked_bar("c", "t", "d", [6, 3, 1, 0], split([6, 3, 1, 0]), width=600))
    bars = segments(root)
    assert [bar.get("data-series") for bar in bars] == ["Gold", "Green", "Amber"]  # no zero-width Red
    assert [float(bar.get("width")) for bar in bars] == [360, 180, 60]
    assert [float(bar.get("x")) for bar in bars] == [0, 360, 540]
    assert [bar.get("fill") for bar in bars] == ["#c99700", "#00703c", "#f47738"]
    legend = texts(root)
    assert "Gold 6 (60%)" in legend
    assert "Red 0 (0%)" in legend


def test_stacked_bar_with_nothing_to_divide_says_no_data():
    root = parse(charts.stacked_bar("c", "t", "d", [0, 0, 0, 0], split([0, 0, 0, 0])))
    assert segments(root) == []
    assert "No data" in texts(root)
    assert "Gold 0 (no data)" in texts(root)


def test_stacked_bars_are_100_percent_per_row():
    rows = [("EYFS", [1, 1, 0, 2]), ("SSA", [0, 0, 0, 0]), ("Post 16", [0, 5, 0, 0])]
    root = parse(
        charts.stacked_bars("c", "t", "d", [(label, values, split(values)) for label, values in rows], width=640)
    )
    bars = segments(root)
    eyfs = [float(bar.get("width")) for bar in bars[:3]]
    assert eyfs == [106, 106, 212]  # of a 424-wide bar: 25%, 25%, 50%
    assert float(bars[3].get("width")) == 424  # Post 16: all Green
    labels = texts(root)
    assert {"EYFS", "SSA", "Post 16", "4 judged", "0 judged", "5 judged", "No data", "50%", "100%"} <= set(labels)


def test_stacked_bars_without_rows():
    root = parse(charts.stacked_bars("c", "t", "d", []))
    assert "No data" in texts(root)


def test_line_chart_places_points_by_share_and_breaks_at_gaps():
    root = parse(
        charts.line_chart(
            "c",
            "Trend",
            "d",
            ["Autumn 2025/26", "Spring 2025/26", "Summer 2025/26"],
            [(charts.BLUE, [0.5, None, 1.0]), (charts.GREEN, [0.0, 0.25, 0.75])],
        )
    )
    # Series 1: circles; series 2: squares (not told apart by colour alone).
    circles = list(root.iter(f"{SVG}circle"))
    legend_and_points = [float(c.get("data-value")) for c in circles if c.get("data-value")]
    assert legend_and_points == [0.5, 1.0]
    ys = {float(c.get("data-value")): float(c.get("cy")) for c in circles if c.get("data-value")}
    top, bottom = 40, 240  # 100% and 0% on the axis
    assert ys[1.0] == top
    assert ys[0.5] == (top + bottom) / 2
    lines = [p for p in root.iter(f"{SVG}polyline")]
    # The first series has a gap in the middle: no line of two points or more on either side.
    assert [p.get("data-series") for p in lines] == ["Good or better"]
    assert len(lines[0].get("points").split()) == 3
    assert {"Autumn", "2025/26", "100%", "75%"} <= set(texts(root))


def test_line_chart_with_no_terms_or_no_data():
    assert "No data" in texts(parse(charts.line_chart("c", "t", "d", [], [(charts.BLUE, [])])))
    assert "No data" in texts(parse(charts.line_chart("c", "t", "d", ["Autumn 2025/26"], [(charts.BLUE, [None])])))
    one = parse(charts.line_chart("c", "t", "d", ["Autumn 2025/26"], [(charts.BLUE, [0.4])]))
    assert "40%" in texts(one)


@pytest.mark.parametrize("evil", ['<script>alert("x")</script>', "Tom & Jerry's", "]]><x/>"])
def test_text_is_escaped(evil):
    for markup in (
        charts.stacked_bar(
            "c", evil, evil, [1, 0, 0, 0], split([1, 0, 0, 0]), series=[charts.Series(evil, "#000")] * 4
        ),
        charts.stacked_bars("c", evil, evil, [(evil, [1, 2, 3, 4], split([1, 2, 3, 4]))]),
        charts.line_chart("c", evil, evil, [evil], [(charts.Series(evil, "#000"), [0.5])]),
    ):
        assert "<script>" not in markup
        root = parse(markup)
        assert root.find(f"{SVG}title").text == evil
        assert root.find(f"{SVG}desc").text == evil


def test_the_shares_written_on_a_chart_are_the_ones_it_is_given_and_add_up_to_100():
    # 1 of 3 each: not 33% three times (99%), but the split the figures service shows.
    root = parse(charts.stacked_bar("c", "t", "d", [1, 1, 1, 0], split([1, 1, 1, 0])))
    assert [t for t in texts(root) if "(" in t] == ["Gold 1 (34%)", "Green 1 (33%)", "Amber 1 (33%)", "Red 0 (0%)"]
    root = parse(charts.stacked_bars("c", "t", "d", [("KS2", [1, 1, 1, 0], split([1, 1, 1, 0]))]))
    assert sum(int(t[:-1]) for t in texts(root) if re.fullmatch(r"\d+%", t)) == 100


def test_line_chart_writes_its_latest_value_half_up():
    # 62.5% is 63%, as everywhere else (float round() gives 62).
    one = parse(charts.line_chart("c", "t", "d", ["Autumn 2025/26"], [(charts.BLUE, [Fraction(5, 8)])]))
    assert "63%" in texts(one) and "62%" not in texts(one)


def test_the_charts_are_the_only_place_a_chart_colour_is_defined():
    """One palette, the screens' (frontend/scss/components/_rating.scss): the PDF module
    draws no chart of its own and names no colour."""
    from reporting import pdf

    scss = (Path(__file__).resolve().parents[1] / "frontend/scss/components/_rating.scss").read_text()
    screen = dict(re.findall(r'"(gold|green|amber|red)": \(background: (#[0-9a-f]{6})', scss))
    assert [s.colour for s in charts.RATING_SERIES] == [screen[r] for r in ("gold", "green", "amber", "red")]
    source = Path(pdf.__file__).read_text()
    assert not re.search(r"#[0-9a-fA-F]{6}\b", source)
    assert "<svg" not in source and not hasattr(pdf, "quality_chart") and not hasattr(pdf, "trend_chart")


def _title(svg: str) -> str:
    return ET.fromstring(svg).find("{http://www.w3.org/2000/svg}title").text


def test_in_a_pdf_the_title_states_the_numbers():
    """Issue 14: WeasyPrint writes a figure's alternative text from the SVG's <title>, and
    a PDF has no table beside it for a screen reader: the numbers go in the title there."""
    counts = [3, 1, 1, 0]
    bar = charts.stacked_bar("q", "Judgements", "d", counts, split(counts), numbers_in_title=True)
    assert _title(bar) == "Judgements. Gold 3 (60%), Green 1 (20%), Amber 1 (20%), Red 0 (0%)."
    assert _title(charts.stacked_bar("q", "Judgements", "d", counts, split(counts))) == "Judgements"
    assert _title(charts.stacked_bar("q", "J", "d", [0] * 4, [None] * 4, numbers_in_title=True)) == "J. No data."
    bars = charts.stacked_bars(
        "b", "By phase", "d", [("EYFS", [1, 1, 0, 0], split([1, 1, 0, 0]))], numbers_in_title=True
    )
    assert _title(bars) == "By phase. EYFS: 2 judged, Gold 50%, Green 50%, Amber 0%, Red 0%."
    line = charts.line_chart(
        "t",
        "Trend",
        "d",
        ["Autumn 2025/26", "Spring 2026"],
        [(charts.Series("On time", "#000"), [Fraction(1, 2), None])],
        numbers_in_title=True,
    )
    assert _title(line) == "Trend. On time: Autumn 2025/26 50%, Spring 2026 no data."
