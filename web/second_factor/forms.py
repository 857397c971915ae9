from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=40,
        strip=True,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )

    def __init__(self, *args, numeric: bool = False, hint: str = "", button: str = "Continue", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.help_text = hint
        attrs = {"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "none"}
        if numeric:
            attrs["inputmode"] = "numeric"
        field.widget.attrs.update(attrs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page's form carries the CSRF token and "next"
        self.helper.layout = Layout(Field.text("code", label_size=Size.SMALL, field_width=10), Button("submit", button))
