"""Forms shared by the pages of several apps."""

import re
from datetime import date

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst

from core.parsing import parse_int
from peps.models import Term
from web.widgets import Select


class TermPickerForm(forms.Form):
    """A GET form: which term a page shows."""

    term = forms.ModelChoiceField(queryset=Term.objects.all(), empty_label=None, label="Term", widget=Select)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        # A GET form: a CSRF token would only end up in the address bar.
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Field.select("term"), Button.secondary("show", "Show term"))


DAY, MONTH, YEAR = re.compile(r"[0-9]{1,2}"), re.compile(r"[0-9]{1,2}"), re.compile(r"[0-9]{4}")


class GovukDateField(DateInputField):
    """A GOV.UK date input whose errors say what to fix, in the words of the Design System.

    crispy-forms-gds's own field lets a part-typed date through as no date at all, shows
    Python's wording for 31 2 2026 ("day is out of range for month") and lets an overflow
    (a day of 99999999999999999999) escape as a server error. Here each is a form error.
    """

    def __init__(self, *, what: str, **kwargs):
        self.what = what  # "the date of the meeting": the subject of its error messages
        super().__init__(**kwargs)

    def clean(self, value):
        # Which of day, month and year to highlight (crispy-forms-gds reads the widgets'
        # errors): the parts at fault, or none for the whole date.
        for part in self.fields:
            part.widget.errors = []
        if not isinstance(value, list | tuple):
            value = self.widget.decompress(value)
        day, month, year = (str(part if part is not None else "").strip() for part in [*value, "", "", ""][:3])
        name = capfirst(self.what)
        if not (day or month or year):
            if self.required:
                raise ValidationError(f"Enter {self.what}", code="required")
            return None
        missing = [n for n, typed in enumerate((day, month, year)) if not typed]
        if missing:
            words = " and a ".join(("day", "month", "year")[n] for n in missing)
            raise self._error(f"{name} must include a {words}", missing, code="incomplete")
        if year.isascii() and year.isdigit() and YEAR.fullmatch(year) is None:
            raise self._error("Year must include 4 numbers", [2], code="invalid")
        wrong = [
            n
            for n, (pattern, typed, top) in enumerate(((DAY, day, 31), (MONTH, month, 12), (YEAR, year, 9999)))
            if pattern.fullmatch(typed) is None or not 1 <= int(typed) <= top
        ]
        if wrong:
            raise self._error(f"{name} must be a real date", wrong, code="invalid")
        try:
            value = date(int(year), int(month), int(day))
        except ValueError:  # 31 2 2026: each part fine, the date not
            raise self._error(f"{name} must be a real date", [], code="invalid") from None
        self.validate(value)
        self.run_validators(value)
        return value

    def _error(self, message: str, parts: list[int], code: str) -> ValidationError:
        for n in parts:
            self.fields[n].widget.errors = [message]
        return ValidationError(message, code=code)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    """People ticked by id. An id beyond any database integer is refused here: Django looks
    the ids up with __in, which SQLite's driver fails on (OverflowError) for such a number."""

    def clean(self, value):
        for pk in value if isinstance(value, list | tuple) else ():
            if parse_int(str(pk)) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super().clean(value)
