from django import forms

from accounts.models import User
from web.widgets import Select


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class TrailFilterForm(forms.Form):
    """A GET form: whose entries, and between which days, a child's audit trail shows."""

    person = PersonField(
        label="Person",
        queryset=User.objects.none(),
        required=False,
        empty_label="Everyone",
        widget=Select(attrs={"class": "govuk-select"}),
    )
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        person = self.fields["person"]
        assert isinstance(person, PersonField)
        person.queryset = people
        for name in ("since", "until"):
            self.fields[name].widget.attrs["class"] = "govuk-input govuk-input--width-10"

    def filters(self) -> dict:
        """What to filter by; a value that does not parse (a hand-typed URL) filters nothing."""
        if not self.is_bound:
            return {}
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned.get(name) for name in ("person", "since", "until") if cleaned.get(name)}
