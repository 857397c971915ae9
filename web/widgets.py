"""Form widgets for the GOV.UK pages."""

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict) -> str:
    # django/forms/widgets/attrs.html, in Python.
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {conditional_escape(name)}")
        if value is not True:
            out.append(f'="{conditional_escape(str(value))}"')
    return "".join(out)


class _OneQuery(ModelChoiceIterator):
    """A model field's choices read by one plain query. Django's own read them with
    .iterator(), which on PostgreSQL is a server-side cursor: DECLARE, FETCH and CLOSE,
    three round trips, and outside a transaction a cursor WITH HOLD, materialised at the
    end of its statement. For a few hundred schools or thirty terms that is all cost."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():  # a fresh query each time, as .iterator() was
            yield self.choice(obj)


_ONE_QUERY: dict[type, type[ModelChoiceIterator]] = {ModelChoiceIterator: _OneQuery}


def _one_query(iterator: type[ModelChoiceIterator]) -> type[ModelChoiceIterator]:
    if iterator not in _ONE_QUERY:
        # Before _OneQuery, so that a subclass's own __iter__ (django-filter's, which adds
        # the "All terms" choice) still runs and reads what _OneQuery yields.
        _ONE_QUERY[iterator] = type(f"OneQuery{iterator.__name__}", (iterator, _OneQuery), {})
    return _ONE_QUERY[iterator]


class Select(forms.Select):
    """Django's select, written out in Python, markup for markup (tests/test_widgets.py).

    Django's template includes two templates for every option: the PEP list's school
    filter, 167 schools, took 12 ms of a 60 ms page, and its twelve selects 24 ms. A
    model field's choices are read by one query (_OneQuery).
    """

    @property
    def choices(self):
        return forms.Select.choices.fget(self)  # type: ignore[attr-defined]

    @choices.setter
    def choices(self, value):
        if isinstance(value, ModelChoiceIterator) and not isinstance(value, _OneQuery):
            value = _one_query(type(value))(value.field)
        forms.Select.choices.fset(self, value)  # type: ignore[attr-defined]

    def use_required_attribute(self, initial) -> bool:
        choices = self.choices
        if isinstance(choices, ModelChoiceIterator):
            # Django reads the first choice to see whether it is the empty one: a query of
            # its own. For a model field it is exactly when the field has an empty label.
            return forms.Widget.use_required_attribute(self, initial) and choices.field.empty_label is not None
        return super().use_required_attribute(initial)

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in options:
                out.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                    f"{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                out.append("\n  </optgroup>")
        out.append("\n</select>")
        return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def govuk_selects(fields) -> None:
    """Style a form's selects as GOV.UK's, each rendered by the Select above."""
    for field in fields.values():
        widget = field.widget
        if type(widget) is forms.Select:
            fast = Select(attrs=widget.attrs, choices=widget.choices)
            fast.is_required, fast.is_localized = widget.is_required, widget.is_localized
            field.widget = widget = fast
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "govuk-select")
