"""Forms of the report pages."""

from django import forms


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
