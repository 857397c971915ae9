"""Forms of the report pages."""

from typing import cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout
from django import forms
from django.http import QueryDict

from core.parsing import parse_int
from reporting.commentary import plain_text
from reporting.models import COMMENTARY_MAX, NEXT_STEPS_MAX, BoardCommentary


class SocialCareSendForm(forms.Form):
    """The confirmation of "Send to social care managers". The token is made when the page
    is shown: a double click posts it twice and sends once (reporting.social_care)."""

    token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "Open this page again and confirm: the form was not complete",
            "invalid": "Open this page again and confirm: the form was not complete",
        },
    )


class BoardCommentaryForm(forms.Form):
    """The VSH's commentary and actions arising for a term's board report. ``version`` is
    the commentary's version the form was opened at (reporting.commentary.save_commentary)."""

    commentary = forms.CharField(
        label="Commentary from the Virtual School Head",
        help_text="What the figures say about this term, in your words. It goes in the public "
        "board report: name no child and nothing that could identify one. Plain text: leave a "
        "blank line between paragraphs.",
        required=False,
        widget=forms.Textarea,
    )
    next_steps = forms.CharField(
        label="Actions arising: next steps",
        help_text="What the Virtual School will do next. The report also counts the actions agreed "
        "at supervisions and peer reviews; these are yours. Plain text: leave a blank line "
        "between paragraphs.",
        required=False,
        widget=forms.Textarea,
    )
    # Text, read in clean: a hidden field's own error would show nowhere.
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, saved: BoardCommentary | None = None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("version", saved.version if saved else 0)
        if saved:
            initial.setdefault("commentary", saved.commentary)
            initial.setdefault("next_steps", saved.next_steps)
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.textarea("commentary", rows=12, max_characters=COMMENTARY_MAX, threshold=75),
            Field.textarea("next_steps", rows=8, max_characters=NEXT_STEPS_MAX, threshold=75),
            "version",
            Button.primary("save", "Save the commentary"),
        )

    # The limits are counted on the text as kept (a browser sends each line break as two
    # characters; the character count under the box, and the database, count one).
    def clean_commentary(self) -> str:
        return _within(plain_text(self.cleaned_data["commentary"]), COMMENTARY_MAX, "The commentary")

    def clean_next_steps(self) -> str:
        return _within(plain_text(self.cleaned_data["next_steps"]), NEXT_STEPS_MAX, "The actions arising")

    @property
    def opened_version(self) -> int:
        # Unreadable is as good as stale: the service refuses it and nothing is lost.
        found = parse_int(self.cleaned_data.get("version") or "", low=0)
        return -1 if found is None else found

    def rebase(self, version: int) -> None:
        """Show the form again carrying ``version``: saving again is a choice made knowing."""
        data = cast(QueryDict, self.data).copy()
        data[self.add_prefix("version")] = str(version)
        self.data = data


def _within(text: str, limit: int, what: str) -> str:
    if len(text) > limit:
        raise forms.ValidationError(
            f"{what} must be {limit:,} characters or fewer (it is {len(text):,})", code="max_length"
        )
    return text
