"""web.templatetags.learning_tables: the learning page's Amber and Red rows, written in
Python, print what the template's loop printed."""

import re

import pytest
from django.template import Context, Template

from reporting.figures import RATINGS, LearningRow, WeakRating

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


# The loop of practice/_learning_table.html that learning_rows replaced.
ROWS_LOOP = """{% load hvs %}{% for row in rows %}{% with f=row.figures %}
  <tr class="govuk-table__row">
    <th scope="row" class="govuk-table__header" data-sort-value="{{ row.label }}">{% if with_phases and row.weak %}"""
ROWS_LOOP += """<a class="govuk-link" href="#weak-{{ forloop.counter }}">{{ row.label }}</a>{% else %}{{ row.label }}"""
ROWS_LOOP += """{% endif %}</th>
    {% if with_phases %}<td class="govuk-table__cell">{{ row.phase_labels }}</td>{% endif %}
    <td class="govuk-table__cell govuk-table__cell--numeric">{{ f.rated }}</td>
    {% for rating, count in f.counts.items %}<td class="govuk-table__cell govuk-table__cell--numeric">"""
ROWS_LOOP += """{{ count }}</td>{% endfor %}
    <td class="govuk-table__cell govuk-table__cell--numeric" data-sort-value="{% if f.amber_red_share is None %}-1"""
ROWS_LOOP += """{% else %}{{ f.amber_red_share|percent|cut:'%' }}{% endif %}">{% if f.amber_red_share is None %}"""
ROWS_LOOP += """no data{% else %}{{ f.amber_red_share|percent }}{% endif %}</td>
  </tr>
  {% endwith %}{% endfor %}"""


def _learning_row(label, counts, phases=(), weak=False) -> LearningRow:
    row = LearningRow(key=label, label=label, phases=set(phases), weak=ROWS[:1] if weak else [])
    for rating, n in zip(RATINGS, counts, strict=True):
        row.figures.add(rating, n)
    return row


LEARNING_ROWS = [
    _learning_row("Attendance & <punctuality>", (1, 2, 3, 4), ("eyfs", "post16"), weak=True),
    _learning_row('"Voice" of the child', (0, 0, 0, 0), ("ssa",)),  # nothing rated: "no data"
    _learning_row("Ann O'Neil", (1234, 0, 1, 0)),
    _learning_row("Autumn 2026/27", (5, 5, 0, 0), weak=True),
]


@pytest.mark.parametrize("with_phases", [True, False, None])
@pytest.mark.parametrize("rows", [LEARNING_ROWS, LEARNING_ROWS[1:2]], ids=["four", "one"])
def test_the_learning_rows_are_what_the_table_printed(rows, with_phases):
    context = {"rows": rows} if with_phases is None else {"rows": rows, "with_phases": with_phases}
    tag = Template("{% load learning_tables %}{% learning_rows rows with_phases %}").render(Context(context))
    loop = Template(ROWS_LOOP).render(Context(context))
    assert _tight(tag) == _tight(loop)
    assert "<punctuality>" not in tag and ("&lt;punctuality&gt;" in tag) is (rows is LEARNING_ROWS)
