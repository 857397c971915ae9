"""Forms shared by the pages of several apps."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout
from django import forms

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
