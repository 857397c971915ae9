"""The forms of changing and resetting a password, in the GOV.UK style.

The reset form sends its link through the outbox (notices.outbox), never straight to the
mail server: the message waits and is retried like every other, and the outbox keeps what
was sent. It sends nothing to an address no active account has, and says nothing either way.
"""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.urls import reverse

from notices.models import NoticeKind
from notices.outbox import Recipient, queue_message

PASSWORD_HINT = (
    "At least 12 characters. Three or four unrelated words work well, for example "
    "kettle orbit plum lantern. Not a season, month or the council's name with a year."
)


def _helper(*fields: Field, button: str) -> FormHelper:
    helper = FormHelper()
    helper.layout = Layout(*fields, Button("submit", button))
    return helper


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
        self.fields["old_password"].label = "Current password"
        self.fields["new_password1"].help_text = PASSWORD_HINT
        self.fields["new_password2"].label = "Confirm new password"
        self.helper = _helper(
            Field.text("old_password", label_size=Size.SMALL, field_width=20),
            Field.text("new_password1", label_size=Size.SMALL, field_width=20),
            Field.text("new_password2", label_size=Size.SMALL, field_width=20),
            button="Change password",
        )


class SetPasswordForm(auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].widget.attrs.pop("autofocus", None)
        self.fields["new_password1"].help_text = PASSWORD_HINT
        self.fields["new_password2"].label = "Confirm new password"
        self.helper = _helper(
            Field.text("new_password1", label_size=Size.SMALL, field_width=20),
            Field.text("new_password2", label_size=Size.SMALL, field_width=20),
            button="Set password",
        )


class PasswordResetForm(auth_forms.PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email address"
        self.fields["email"].help_text = "The address your Virtual School account has."
        self.helper = _helper(
            Field.text("email", label_size=Size.SMALL, field_width=20),
            button="Send reset link",
        )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """Queue the link in the outbox; the link is built on SITE_URL, never on the
        request's Host header (which the client chooses)."""
        user = context["user"]
        path = reverse("account:password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})
        queue_message(
            kind=NoticeKind.PASSWORD_RESET,
            to=[Recipient(to_email, name=user.get_full_name(), part="account holder")],
            template="accounts/email/password_reset",
            context={
                "name": user.get_full_name() or user.get_username(),
                "username": user.get_username(),
                "reset_url": f"{settings.SITE_URL}{path}",
                "valid_for": duration(settings.PASSWORD_RESET_TIMEOUT),
            },
        )


def duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
