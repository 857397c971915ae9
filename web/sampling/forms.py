"""Forms of the sampling pages. Rendered with crispy-forms-gds."""

import re

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms

from core.vocabulary import Rating
from peps.models import Term
from web.widgets import Select

ID = re.compile(r"[0-9]{1,18}")  # ASCII digits (str.isdigit takes "²"), within a bigint


class SettleForm(forms.Form):
    """The judgement the first reviewer and the moderator agreed after discussing it."""

    agreed_judgement = forms.ChoiceField(
        label="Agreed judgement",
        choices=Rating.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the judgement you agreed"},
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How you reached the agreement, and anything to share with the team.",
    )
    # The settlement the page showed as current (blank: none), so that one recorded by
    # someone else meanwhile is not overwritten unseen.
    based_on = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("agreed_judgement", legend_size=Size.SMALL, inline=True, small=True),
            Field.textarea("notes", rows=2),
            "based_on",
            Button.secondary("settle", "Record the agreed judgement"),
        )

    def clean_based_on(self) -> int | None:
        # Hidden, so never an error the page could show: anything but an id reads as "none",
        # and the service refuses it if a settlement has been recorded.
        value = self.cleaned_data["based_on"].strip()
        return int(value) if ID.fullmatch(value) else None

    @staticmethod
    def prefix_for(entry) -> str:
        return f"settle-{entry.pk}"


class WorklistFilterForm(forms.Form):
    """A GET form above the worklist: the term, and a kind of sample and an officer from
    those on the worklist (the choices come from its rows, so nothing else can be named)."""

    term = forms.ModelChoiceField(queryset=Term.objects.all(), empty_label=None, label="Term", widget=Select)
    kind = forms.ChoiceField(label="Sample", required=False, widget=Select)
    officer = forms.ChoiceField(label="Officer", required=False, widget=Select)
    show = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, kinds: list[tuple[str, str]], officers: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        for name, every, choices in (("kind", "All samples", kinds), ("officer", "All officers", officers)):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", every), *choices]
        self.helper = FormHelper()
        self.helper.form_tag = False
        # A GET form: a CSRF token would only end up in the address bar.
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.select("term"),
            Field.select("kind"),
            Field.select("officer"),
            "show",
            Button.secondary("apply", "Show"),
        )
