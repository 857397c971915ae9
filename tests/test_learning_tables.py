"""web.templatetags.learning_tables: the learning page's Amber and Red rows, written in
Python, print what the template's loop printed."""

import re

import pytest
from django.template import Context, Template

from reporting.figures import WeakRating

# The loop the tag replaced (templates/practice/learning.html before it).
LINK = """<a class="govuk-link" href="{% url 'peps:detail' weak.pep_id %}">{{ weak.la_reference }}</a>"""
TEMPLATE_LOOP = (
    """{% load hvs %}{% for weak in rows %}
      <tr class="govuk-table__row">
        <td class="govuk-table__cell">"""
    + LINK
    + """</td>
        <td class="govuk-table__cell">{{ weak.term }}</td>
        <td class="govuk-table__cell">{{ weak.officer|default:"No officer" }}</td>
        <td class="govuk-table__cell">{% rating_tag weak.rating %}</td>
        <td class="govuk-table__cell">{{ weak.comment|linebreaksbr|default:"—" }}</td>
        <td class="govuk-table__cell">{{ weak.development_points|linebreaksbr|default:"—" }}</td>
      </tr>
      {% endfor %}"""
)

ROWS = [
    WeakRating(7, "LA-007", "Autumn 2026/27", "Sam Officer", "red", "No targets.", "Make the targets SMART"),
    # Free text as users type it: lines (Windows' too), markup, quotes, ampersands.
    WeakRating(
        8, "LA-<8>", "Spring 2026/27", "", "amber", 'Line one\r\nline "two"\n<script>x</script>', "Tom & Jerry\rend"
    ),
    WeakRating(9, "LA-009", "Summer 2026/27", "Ann O'Neil", "amber", "", ""),
]


def _tight(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


@pytest.mark.parametrize("rows", [ROWS, ROWS[:1], []])
def test_the_rows_are_what_the_template_printed(rows):
    tag = Template("{% load learning_tables %}{% weak_rows rows %}").render(Context({"rows": rows}))
    loop = Template(TEMPLATE_LOOP).render(Context({"rows": rows}))
    assert _tight(tag) == _tight(loop)


def test_free_text_is_escaped_and_its_lines_kept():
    html = Template("{% load learning_tables %}{% weak_rows rows %}").render(Context({"rows": ROWS}))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Line one<br>line &quot;two&quot;<br>" in html
    assert "Tom &amp; Jerry<br>end" in html
    assert "LA-&lt;8&gt;" in html and "No officer" in html
    assert html.count("—") == 2  # the third row's empty comment and points
    assert 'href="/peps/7/"' in html
