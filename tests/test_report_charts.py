"""reporting.templatetags.report_charts: the breakdown rows, written with the standard
library's escaping and quoting, print what they printed with Django's escape and
urlencode per row."""

from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import urlencode

from core.vocabulary import Phase, Rating
from reporting import formatting
from reporting.figures import RATINGS, Breakdown, Quality
from reporting.templatetags.report_charts import _CELL, _LINK, breakdown_rows


def _before(term, param, rows) -> str:
    # The tag as it was (main at 70efe3a), the reference.
    peps_list = reverse("peps:list") if term is not None else ""
    rating_labels = {rating: escape(Rating(rating).label) for rating in RATINGS}
    html = []
    for row in rows:
        url = (
            ""
            if term is None or row.key is None
            else escape(f"{peps_list}?{urlencode({'term': term.pk, param: row.key})}")
        )
        quality, label = row.quality, escape(row.label)
        judged = quality.judged

        def cell(count, suffix, words, url=url, label=label):
            if url and count:
                return _CELL.format(_LINK.format(f"{url}{suffix}", count, words, label))
            return _CELL.format(count)

        if not judged:
            good = _CELL.format("No data")
        else:
            shown = escape(formatting.percent(quality.good_or_better_shown, none="not enough data"))
            good = cell(shown, "&amp;judgement=good", "good or better")
        html.append(
            '<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">'
            + label
            + "</th>"
            + cell(row.peps, "", "PEPs")
            + cell(judged, "&amp;judgement=judged", "judged")
            + "".join(
                cell(count, f"&amp;judgement={rating}", rating_labels[rating])
                for rating, count in quality.counts.items()
            )
            + good
            + "</tr>"
        )
    return "".join(html)


def _row(key, label, gold=0, green=0, amber=0, red=0, peps=None) -> Breakdown:
    quality = Quality()
    for rating, n in zip(RATINGS, (gold, green, amber, red), strict=True):
        quality.add(rating, n)
    return Breakdown(key=key, label=label, quality=quality, peps=quality.judged if peps is None else peps)


ROWS = [
    _row(7, "St Mary's & St John's <Primary>", gold=3, green=1, amber=2, peps=9),
    _row(None, "No school recorded", red=1),
    _row(8, 'A "quoted" school', peps=4),  # PEPs, none judged: "No data"
    _row("KS5", "KS5", green=2, amber=1),
    _row("a b&c=d/é", "Odd key", gold=1),  # a key to quote in the link
    _row(Phase.POST16.value, Phase.POST16.label, amber=5, red=5),
]


@pytest.mark.parametrize("param", ["school", "officer", "key_stage", "phase"])
@pytest.mark.parametrize("term", [SimpleNamespace(pk=30), None], ids=["a term", "no term"])
def test_the_rows_are_what_the_tag_printed_before(term, param):
    assert breakdown_rows(term, param, ROWS) == _before(term, param, ROWS)


def test_labels_are_escaped_and_keys_quoted():
    html = breakdown_rows(SimpleNamespace(pk=30), "school", ROWS)
    assert "<Primary>" not in html and "St Mary&#x27;s &amp; St John&#x27;s &lt;Primary&gt;" in html
    assert 'href="/peps/?term=30&amp;school=a+b%26c%3Dd%2F%C3%A9&amp;judgement=gold"' in html
    assert html.count("No data") == 1 and "No school recorded</th>" in html
