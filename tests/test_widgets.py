"""web.widgets: the select written in Python renders what Django's template does."""

import pytest
from django import forms
from django.db.models import QuerySet
from django.utils.safestring import mark_safe

from accounts.models import User
from peps.models import School
from tests.factories import SchoolFactory, TermFactory
from web.audit.forms import TrailFilterForm
from web.forms import TermPickerForm
from web.imports.forms import RunFilterForm
from web.notices.filters import NoticeFilter
from web.peps.filters import PepFilter
from web.practice.exemplar_forms import LibraryFilter
from web.practice.learning import LearningFilter
from web.practice.supervision_views import SupervisionFilterForm
from web.sampling.forms import WorklistFilterForm
from web.widgets import Select, govuk_selects

CHOICES = [
    ("", "All schools"),
    ("1", "St Mary's & St John's <Primary>"),
    (2, 'A "quoted" name'),
    ("3", mark_safe("<b>Safe</b>")),  # noqa: S308 - a label already marked safe stays as it is
]
GROUPED = [
    ("", "Any"),
    ("Primary", [("p1", "One"), ("p2", "Two & more")]),
    ('Group "B"', [("b1", "Three")]),
    ("x", "Four"),
]


@pytest.mark.parametrize("choices", [CHOICES, GROUPED, []], ids=["flat", "grouped", "empty"])
@pytest.mark.parametrize("value", [None, "", "1", 2, "p2", "b1", "nothing"])
@pytest.mark.parametrize(
    "attrs",
    [
        None,
        {"class": "govuk-select", "id": "id_school"},
        {"required": True, "disabled": False, "data-x": 'a"b<c>', "aria-describedby": "hint"},
    ],
    ids=["no attrs", "class and id", "booleans and escaping"],
)
def test_the_select_renders_what_djangos_template_does(choices, value, attrs):
    django_select = forms.Select(attrs=attrs, choices=choices)
    select = Select(attrs=attrs, choices=choices)

    assert select.render("school", value) == django_select.render("school", value)


def test_a_select_with_a_name_to_escape_renders_as_djangos():
    assert Select(choices=CHOICES).render('a"b', "1") == forms.Select(choices=CHOICES).render('a"b', "1")


def test_a_multiple_select_is_left_to_django():
    field = forms.MultipleChoiceField(choices=CHOICES[1:])
    fields = {"many": field}

    govuk_selects(fields)

    assert type(field.widget) is forms.SelectMultiple
    assert field.widget.attrs["class"] == "govuk-select"


@pytest.mark.django_db
def test_govuk_selects_keeps_a_model_choice_fields_choices_required_flag_and_class():
    SchoolFactory(name="Zebra Academy")
    SchoolFactory(name="Alder Primary")
    before = forms.ModelChoiceField(queryset=School.objects.order_by("name"), empty_label="All schools")
    after = forms.ModelChoiceField(queryset=School.objects.order_by("name"), empty_label="All schools")
    after.widget.attrs["class"] = "govuk-select govuk-!-width-full"
    fields = {"school": after}

    govuk_selects(fields)

    assert type(after.widget) is Select
    assert after.widget.is_required and after.widget.attrs["class"] == "govuk-select govuk-!-width-full"
    before.widget.attrs["class"] = "govuk-select govuk-!-width-full"
    pk = str(School.objects.get(name="Alder Primary").pk)
    assert after.widget.render("school", pk) == before.widget.render("school", pk)
    assert "Zebra Academy" in after.widget.render("school", pk)
    # A school added after the form was built is offered: the choices stay the queryset's.
    SchoolFactory(name="Yew Tree School")
    assert "Yew Tree School" in after.widget.render("school", pk)


def test_govuk_selects_gives_a_plain_select_the_govuk_class():
    field = forms.ChoiceField(choices=CHOICES, required=False)
    fields = {"school": field}

    govuk_selects(fields)

    assert type(field.widget) is Select and not field.widget.is_required
    assert field.widget.attrs == {"class": "govuk-select"}


def _plain_selects(fields) -> list[str]:
    return [name for name, field in fields.items() if type(field.widget) is forms.Select]


@pytest.mark.django_db
def test_every_filter_form_and_term_picker_writes_its_selects_in_python(vsh):
    forms_with_selects = [
        PepFilter({}, user=vsh).form,
        NoticeFilter({}, user=vsh).form,
        LearningFilter({}, user=vsh).form,
        LibraryFilter({}).form,
        RunFilterForm(),
        TrailFilterForm(people=User.objects.all()),
        TermPickerForm(),
        SupervisionFilterForm(people=User.objects.all()),
        WorklistFilterForm(kinds=[], officers=[]),
    ]

    for form in forms_with_selects:
        selects = [f for f in form.fields.values() if isinstance(f.widget, forms.Select)]
        assert selects, type(form).__name__
        assert _plain_selects(form.fields) == [], type(form).__name__


def _no_streaming(queryset, *args, **kwargs):
    raise AssertionError("a select's choices read with .iterator() (a server-side cursor on PostgreSQL)")


@pytest.mark.django_db
def test_a_model_fields_choices_are_read_by_one_plain_query_with_the_same_markup(vsh, monkeypatch):
    SchoolFactory(name="Zebra Academy")
    SchoolFactory(name="Alder Primary")
    TermFactory()
    monkeypatch.setattr(QuerySet, "iterator", _no_streaming)

    for form in (PepFilter({}, user=vsh).form, LearningFilter({}, user=vsh).form, TermPickerForm()):
        for name, field in form.fields.items():
            if isinstance(field, forms.ModelChoiceField):
                assert str(form[name]), name  # rendered without .iterator()
    monkeypatch.undo()
    ours = PepFilter({}, user=vsh).form
    for name in ("term", "school", "officer", "team"):
        field = ours.fields[name]
        # Django's select with the field's own iterator (django-filter's, with .iterator()).
        djangos = forms.Select(attrs=field.widget.attrs, choices=type(field).iterator(field))
        assert field.widget.render(name, "") == djangos.render(name, "")
    # django-filter's own choice ("All terms") is still offered, after the field's empty one.
    assert '<option value="all">All terms</option>' in str(ours["term"])
    assert "Zebra Academy" in str(ours["school"])


@pytest.mark.django_db
@pytest.mark.parametrize("empty_label", [None, "Choose a school"])
@pytest.mark.parametrize("required", [True, False])
@pytest.mark.parametrize("schools", [0, 2])
def test_a_model_select_is_one_query_with_djangos_required_attribute(
    empty_label, required, schools, django_assert_num_queries
):
    for n in range(schools):
        SchoolFactory(name=f"School {n}")
    field = forms.ModelChoiceField(queryset=School.objects.order_by("name"), empty_label=empty_label, required=required)
    field.widget.attrs["class"] = "govuk-select"
    djangos = forms.BoundField(forms.Form(), field, "school").as_widget()
    govuk_selects({"school": field})

    with django_assert_num_queries(1):
        ours = forms.BoundField(forms.Form(), field, "school").as_widget()

    assert ours == djangos
    assert ("required" in ours) == (required and empty_label is not None)
