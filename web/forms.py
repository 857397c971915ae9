"""Forms shared by the pages of several apps."""

from datetime import date

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout
from django import forms
from django.core.exceptions import ValidationError

from core.parsing import parse_int
from peps.models import Term


class TermPickerForm(forms.Form):
    """A GET form: which term a page shows."""

    term = forms.ModelChoiceField(queryset=Term.objects.all(), empty_label=None, label="Term")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        # A GET form: a CSRF token would only end up in the address bar.
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Field.select("term"), Button.secondary("show", "Show term"))


class GovDateField(DateInputField):
    """A GOV.UK date input that says what is wrong with a date that is none (32 1 2026,
    29 2 2025, a year of 99999, a day of 9999999999) rather than failing on it."""

    def compress(self, data_list):
        if not all(data_list):
            return None
        # Each part is digits by now (the parts' own validators), but maybe thousands of them.
        day, month, year = (parse_int(part, low=1, high=9999) for part in data_list)
        if year is None or year < 1000:
            raise ValidationError("Year must include 4 numbers", code="year")
        if day is None or month is None or day > 31 or month > 12:
            raise ValidationError(f"{self.label} must be a real date", code="invalid_date")
        try:
            return date(year, month, day)
        except ValueError as error:  # 31 April, 29 February of a common year
            raise ValidationError(f"{self.label} must be a real date", code="invalid_date") from error


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
