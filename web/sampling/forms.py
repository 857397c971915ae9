"""Forms of the sampling pages. Rendered with crispy-forms-gds."""

import re

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms

from core.vocabulary import Rating

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
