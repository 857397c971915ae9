"""Sending the social care reports to the teams' managers: the VSH's confirmation page
(GET: each team, its manager and its counts, and what was sent for the term; POST: send).

Thin: what would be sent is ``reporting.social_care.send_plan``, the send itself
``request_send`` (queued; each team's PDF is built by the task). Only the VSH
(``hvs.send_social_care_reports``); anyone else gets a 403.
"""

from uuid import uuid4

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from peps.selectors import requested_term
from reporting import social_care
from reporting.models import SocialCareSend, SocialCareSendStatus, SocialCareTrigger
from web.forms import TermPickerForm

from .forms import SocialCareSendForm


@never_cache
@require_http_methods(["GET", "POST"])
def send(request):
    if not request.user.has_perm(social_care.PERMISSION):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    term = requested_term(data.get("term", ""))
    if term is None:
        raise Http404("No term")
    here = f"{reverse('reports:social_care_send')}?term={term.pk}"
    if request.method == "POST":
        form = SocialCareSendForm(request.POST)
        if form.is_valid():
            sent, created = social_care.request_send(term, request.user, form.cleaned_data["token"])
            _tell(request, sent, created)
            return redirect(here)
    else:
        form = SocialCareSendForm()
    plan = social_care.send_plan(term)
    dispatches = list(social_care.dispatches_of(term))
    return render(
        request,
        "reporting/social_care_send.html",
        {
            "term": term,
            "term_form": TermPickerForm(initial={"term": term.pk}),
            "form": form,
            # A new token each time the page is shown: confirming from it is a new send.
            "token": uuid4(),
            "plan": plan,
            "to_send": [row for row in plan if row.will_send],
            "send_date": social_care.send_date(term),
            "days_after_deadline": settings.SOCIAL_CARE_REPORT_DAYS_AFTER_DEADLINE,
            "nil_returns": settings.SOCIAL_CARE_REPORT_SEND_NIL_RETURNS,
            "scheduled_on": min(
                (timezone.localdate(d.created_at) for d in dispatches if d.trigger == SocialCareTrigger.SCHEDULED),
                default=None,
            ),
            "dispatches": dispatches,
            # The VSH's sends still going, or that failed (those that went are in ``dispatches``).
            "unfinished": SocialCareSend.objects.filter(term=term)
            .exclude(status=SocialCareSendStatus.DONE)
            .select_related("requested_by"),
            "today": timezone.localdate(),
        },
    )


def _tell(request, sent: SocialCareSend, created: bool) -> None:
    asked = timezone.localtime(sent.created_at)
    if created and not sent.not_queued:
        sent.refresh_from_db(fields=["status", "error"])  # sent already where tasks run inline
    if not created:
        messages.info(
            request,
            f"Already asked for at {asked:%H:%M}: these reports were not sent again. "
            "To send them again, open this page again and confirm.",
        )
    elif sent.not_queued:
        messages.error(request, sent.error)
    elif sent.status == SocialCareSendStatus.PENDING:
        messages.success(request, f"Sending the social care reports for {sent.term} to the team managers")
    elif sent.status == SocialCareSendStatus.DONE:
        messages.success(request, f"Social care reports for {sent.term} sent to the team managers")
    else:
        messages.error(request, "Some of the reports could not be sent: see below, and try again.")
