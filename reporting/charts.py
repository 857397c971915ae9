"""Charts as server-rendered inline SVG, built from plain numbers.

Pure functions: no database, no templates, no JavaScript. Each chart is an
``<svg role="img">`` with a ``<title>`` and a ``<desc>`` it is labelled and described by;
the page puts a table of the same numbers next to it for screen readers (the SVG's text
is not read out). Every piece of text is escaped, and a total of zero draws an empty,
labelled chart rather than dividing by it.

The geometry is in the SVG's own units (``viewBox``); the SVG scales to the width of its
container, so text scales with it.

One module for the dashboard and the PDFs alike (WeasyPrint draws the same SVG), in one
palette, the screens'. The charts compute no share: they are given the shares as the
figures service shows them (reporting.figures), and write them with the reports' one
formatter (reporting.formatting), so a chart reads the same as the table beside it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .formatting import percent

BLACK = "#0b0c0c"
WHITE = "#ffffff"
GREY = "#505a5f"
LIGHT_GREY = "#b1b4b6"
FONT_SIZE = 16
CHAR_WIDTH = 9  # a generous average width of a 16px Arial character, to decide what fits


@dataclass(frozen=True)
class Series:
    """One series of a chart: its name, fill colour and the colour of text drawn on it."""

    name: str
    colour: str
    text_colour: str = BLACK


# The app's rating colours (frontend/scss/components/_rating.scss), best first.
RATING_SERIES = (
    Series("Gold", "#c99700", BLACK),
    Series("Green", "#00703c", WHITE),
    Series("Amber", "#f47738", BLACK),
    Series("Red", "#d4351c", WHITE),
)

BLUE = Series("Completed by the deadline", "#1d70b8", WHITE)
GREEN = Series("Good or better", "#00703c", WHITE)


Share = Fraction | None


def _n(value: float | Fraction) -> str:
    """A coordinate: at most one decimal, no trailing ".0"."""
    text = f"{float(value):.1f}"
    return text[:-2] if text.endswith(".0") else text


def _attrs(attrs: dict) -> str:
    return "".join(
        f' {key.rstrip("_").replace("_", "-")}="{escape(value)}"' for key, value in attrs.items() if value is not None
    )


def _text(x: float, y: float, content: str, **attrs) -> str:
    attrs.setdefault("font_size", FONT_SIZE)
    return f'<text x="{_n(x)}" y="{_n(y)}"{_attrs(attrs)}>{escape(content)}</text>'


def _rect(x: float, y: float, width: float, height: float, **attrs) -> str:
    return f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}"{_attrs(attrs)}/>'


def _svg(
    chart_id: str,
    title: str,
    description: str,
    width: int,
    height: int,
    body: list[str],
    numbers: str = "",
    numbers_in_title: bool = False,
) -> SafeString:
    """The chart. ``numbers`` states what it shows in words; with ``numbers_in_title`` (the
    PDFs) they follow the title, which WeasyPrint writes as the tagged figure's alternative
    text (a PDF reader has no table-beside-it to fall back on)."""
    chart_id = escape(chart_id)
    if numbers_in_title and numbers:
        title = f"{title}. {numbers}."
    # Safe: every piece of text above went through escape().
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" id="{chart_id}" role="img" '
        f'aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc" focusable="false" '
        f'viewBox="0 0 {width} {height}" width="100%" font-family="Arial, &quot;Liberation Sans&quot;, sans-serif">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _fits(text: str, width: float) -> bool:
    return len(text) * CHAR_WIDTH + 8 <= width


def _legend(series: Sequence[Series], y: float, width: float, values: Sequence[str] | None = None) -> list[str]:
    """Swatches in a row: "Gold 5 (42%)"."""
    step = width / max(len(series), 1)
    parts = []
    for n, item in enumerate(series):
        x = n * step
        label = f"{item.name} {values[n]}" if values else item.name
        parts.append(_rect(x, y, 16, 16, fill=item.colour, stroke=BLACK, stroke_width=1))
        parts.append(_text(x + 22, y + 14, label, fill=BLACK))
    return parts


def stacked_bar(
    chart_id: str,
    title: str,
    description: str,
    values: Sequence[int],
    shares: Sequence[Share],
    series: Sequence[Series] = RATING_SERIES,
    width: int = 640,
    numbers_in_title: bool = False,
) -> SafeString:
    """One horizontal bar split in proportion to ``values`` (one per series), each
    segment labelled with its count where it fits, and a legend with counts and
    ``shares`` (the values' shares as shown, one per series)."""
    total = sum(values)
    bar_y, bar_h = 4, 44
    body = []
    if not total:
        body.append(_rect(0, bar_y, width, bar_h, fill=WHITE, stroke=GREY, stroke_width=1, class_="app-chart__empty"))
        body.append(_text(width / 2, bar_y + 28, "No data", fill=BLACK, text_anchor="middle"))
    else:
        x = 0.0
        for value, item in zip(values, series, strict=True):
            segment = width * value / total
            if segment > 0:
                body.append(
                    _rect(
                        x,
                        bar_y,
                        segment,
                        bar_h,
                        fill=item.colour,
                        stroke=WHITE,
                        stroke_width=2,
                        class_="app-chart__segment",
                        data_series=item.name,
                        data_value=value,
                    )
                )
                label = str(value)
                if _fits(label, segment):
                    body.append(
                        _text(
                            x + segment / 2,
                            bar_y + 28,
                            label,
                            fill=item.text_colour,
                            text_anchor="middle",
                            font_weight="bold",
                        )
                    )
            x += segment
    legend = [f"{value} ({percent(share)})" for value, share in zip(values, shares, strict=True)]
    body += _legend(series, bar_y + bar_h + 16, width, legend)
    numbers = (
        ", ".join(f"{item.name} {text}" for item, text in zip(series, legend, strict=True)) if total else "No data"
    )
    return _svg(chart_id, title, description, width, bar_y + bar_h + 40, body, numbers, numbers_in_title)


def stacked_bars(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, Sequence[int], Sequence[Share]]],
    series: Sequence[Series] = RATING_SERIES,
    width: int = 640,
    numbers_in_title: bool = False,
) -> SafeString:
    """One 100% bar per row (a phase, a key stage): each row is its label, its values (one
    per series) and their shares as shown; the bar is labelled with the shares, the row's
    label on the left and its total on the right."""
    label_w, total_w, row_h, gap = 120, 96, 36, 12
    bar_w = width - label_w - total_w
    body = []
    y = 0
    for label, values, shares in rows:
        total = sum(values)
        body.append(_text(0, y + 24, label, fill=BLACK, font_weight="bold"))
        if not total:
            body.append(
                _rect(label_w, y, bar_w, row_h, fill=WHITE, stroke=GREY, stroke_width=1, class_="app-chart__empty")
            )
            body.append(_text(label_w + bar_w / 2, y + 24, "No data", fill=BLACK, text_anchor="middle"))
        else:
            x = float(label_w)
            for value, share, item in zip(values, shares, series, strict=True):
                segment = bar_w * value / total
                if segment > 0:
                    body.append(
                        _rect(
                            x,
                            y,
                            segment,
                            row_h,
                            fill=item.colour,
                            stroke=WHITE,
                            stroke_width=2,
                            class_="app-chart__segment",
                            data_series=item.name,
                            data_value=value,
                        )
                    )
                    label = percent(share)
                    if _fits(label, segment):
                        body.append(
                            _text(
                                x + segment / 2,
                                y + 24,
                                label,
                                fill=item.text_colour,
                                text_anchor="middle",
                                font_weight="bold",
                            )
                        )
                x += segment
        body.append(_text(width, y + 24, f"{total} judged", fill=BLACK, text_anchor="end"))
        y += row_h + gap
    if not rows:
        body.append(_text(width / 2, 24, "No data", fill=BLACK, text_anchor="middle"))
        y = row_h + gap
    body += _legend(series, y + 4, width)
    numbers = "; ".join(
        f"{label}: {sum(values)} judged"
        + (
            ", " + ", ".join(f"{item.name} {percent(share)}" for item, share in zip(series, shares, strict=True))
            if sum(values)
            else ""
        )
        for label, values, shares in rows
    )
    return _svg(chart_id, title, description, width, y + 28, body, numbers or "No data", numbers_in_title)


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    lines: Sequence[tuple[Series, Sequence[Share]]],
    width: int = 640,
    numbers_in_title: bool = False,
) -> SafeString:
    """Shares (0 to 1, as shown) over a sequence of labels (terms), one line per series on
    a 0-100% axis; a None is a gap in the line. The series differ by marker and dash as well as by
    colour, and each line's latest value is written at its end."""
    left, right, top, plot_h = 52, 64, 40, 200
    plot_w = width - left - right
    bottom = top + plot_h
    body = []
    # Legend along the top.
    step = width / max(len(lines), 1)
    for n, (item, _values) in enumerate(lines):
        x = n * step
        body.append(
            f'<line x1="{_n(x)}" y1="12" x2="{_n(x + 28)}" y2="12" stroke="{escape(item.colour)}" '
            f'stroke-width="3"{_dash(n)}/>'
        )
        body.append(_marker(n, x + 14, 12, item.colour))
        body.append(_text(x + 36, 17, item.name, fill=BLACK))
    # Axis and gridlines at 0, 25, 50, 75 and 100%.
    for pct in (0, 25, 50, 75, 100):
        y = bottom - plot_h * pct / 100
        body.append(
            f'<line x1="{left}" y1="{_n(y)}" x2="{left + plot_w}" y2="{_n(y)}" '
            f'stroke="{LIGHT_GREY if pct else GREY}" stroke-width="1"/>'
        )
        body.append(_text(left - 8, y + 5, f"{pct}%", fill=BLACK, text_anchor="end", font_size=14))
    count = len(labels)

    def x_at(index: int) -> float:
        return left + (plot_w / 2 if count == 1 else plot_w * index / (count - 1))

    for index, label in enumerate(labels):
        # "Autumn 2025/26" on two lines: "Autumn", "2025/26".
        first, _, second = str(label).partition(" ")
        body.append(_text(x_at(index), bottom + 20, first, fill=BLACK, text_anchor="middle", font_size=14))
        if second:
            body.append(_text(x_at(index), bottom + 38, second, fill=BLACK, text_anchor="middle", font_size=14))
    if not count or all(value is None for _item, values in lines for value in values):
        body.append(_text(left + plot_w / 2, top + plot_h / 2, "No data", fill=BLACK, text_anchor="middle"))
    for n, (item, values) in enumerate(lines):
        points = [(x_at(i), float(bottom - plot_h * v), v) for i, v in enumerate(values) if v is not None and i < count]
        # Break the line at a gap (a term with nothing to divide by).
        run: list[tuple[float, float]] = []
        for i, value in enumerate(list(values)[:count] + [None]):
            if value is None:
                if len(run) > 1:
                    coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
                    body.append(
                        f'<polyline points="{coords}" fill="none" stroke="{escape(item.colour)}" stroke-width="3"'
                        f'{_dash(n)} class="app-chart__line" data-series="{escape(item.name)}"/>'
                    )
                run = []
            else:
                run.append((x_at(i), float(bottom - plot_h * value)))
        for x, y, value in points:
            body.append(_marker(n, x, y, item.colour, data_value=f"{float(value):.4f}"))
        if points:
            x, y, value = points[-1]
            body.append(
                _text(
                    x + 10, y + 5 + (14 if n % 2 else -8), percent(value), fill=BLACK, font_weight="bold", font_size=14
                )
            )
    numbers = "; ".join(
        f"{item.name}: "
        + ", ".join(
            f"{label} {'no data' if value is None else percent(value)}"
            for label, value in zip(labels, values, strict=False)
        )
        for item, values in lines
    )
    return _svg(
        chart_id, title, description, width, bottom + 48, body, numbers if count else "No data", numbers_in_title
    )


def _dash(n: int) -> str:
    return ' stroke-dasharray="8 5"' if n % 2 else ""


def _marker(n: int, x: float, y: float, colour: str, **attrs) -> str:
    extra = _attrs({"class_": "app-chart__point", **attrs})
    if n % 2:
        return f'<rect x="{_n(x - 5)}" y="{_n(y - 5)}" width="10" height="10" fill="{escape(colour)}"{extra}/>'
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="5.5" fill="{escape(colour)}"{extra}/>'
