"""The messages page: what the outbox sent, what waits and what failed, for the VSH and
administrators (``hvs.view_messages``); one message with its attempts; resending a failed
one (``hvs.resend_message``, notices.services.resend).

Thin: the messages a user may read come from the access policy (visible_notices), the
reads from notices.selectors, the write from notices.services."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from post_office.models import STATUS

from access.policy import visible_notices, visible_peps
from notices import selectors
from notices.models import DeliveryState, NoticeRecipient
from notices.services import NotFailed, resend

from .filters import DEFAULT_SORT, SORTS, NoticeFilter, ordering

MESSAGES_PER_PAGE = 25
FILTER_NAMES = ("state", "kind", "reference", "person", "date_from", "date_to", "pep")


def _require(user, permission: str = "hvs.view_messages") -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def message_list(request):
    _require(request.user)
    notices = visible_notices(request.user)
    notice_filter = NoticeFilter(request.GET or None, queryset=notices, user=request.user)
    # The counts at the top: the other filters applied, every state (each links to its own).
    others = request.GET.copy()
    others.pop("state", None)
    counts = selectors.state_counts(NoticeFilter(others or None, queryset=notices, user=request.user).qs)
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort.lstrip("-") not in SORTS:
        sort = DEFAULT_SORT
    rows = selectors.listed(notice_filter.qs).order_by(*ordering(sort))
    page = Paginator(rows, MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    # The PEPs of the page the user may open (all of them for these roles; asked anyway).
    pep_ids = {notice.pep_id for notice in page if notice.pep_id}
    openable = set(visible_peps(request.user).filter(pk__in=pep_ids).values_list("pk", flat=True)) if pep_ids else set()
    params = request.GET.copy()
    params.pop("page", None)
    sort_params = params.copy()
    sort_params.pop("sort", None)
    state_params = params.copy()  # the state cards keep the filters and the sort
    state_params.pop("state", None)
    about_pep = _about_pep(notice_filter)
    selected = _selected_filters(notice_filter, request.GET, about_pep)
    return render(
        request,
        "notices/message_list.html",
        {
            "filter": notice_filter,
            "page_obj": page,
            "rows": [_row(notice, notice.pep_id in openable) for notice in page],
            "counts": counts,
            "states": [
                {
                    "state": state,
                    "label": state.label,
                    "count": counts[state.value],
                    "query": _with(state_params, state=state.value),
                    "current": request.GET.get("state") == state.value,
                }
                for state in DeliveryState
            ],
            "all_states_query": state_params.urlencode(),
            "sort": sort,
            "query_string": params.urlencode(),
            "sort_query_string": sort_params.urlencode(),
            "selected_filters": selected,
            # The counts keep every filter but the state: "all matching" when there is one.
            "counts_filtered": any(item["name"] != "state" for item in selected),
            "about_pep": about_pep,
        },
    )


def _with(params, **values) -> str:
    params = params.copy()
    for name, value in values.items():
        params[name] = value
    return params.urlencode()


def _row(notice, pep_openable: bool) -> dict:
    recipients = list(notice.recipients.all())  # prefetched
    to = [r for r in recipients if r.copy == NoticeRecipient.Copy.TO]
    return {
        "notice": notice,
        "to": to[:2],
        "more": max(len(to) - 2, 0),
        "copies": len(recipients) - len(to),
        "pep_openable": pep_openable,
    }


def _about_pep(notice_filter):
    """The PEP the list is filtered to (the PEP page's link), if the user may see it."""
    form = notice_filter.form
    if not form.is_bound or not form.is_valid() or not form.cleaned_data.get("pep"):
        return None
    return visible_peps(notice_filter.user).select_related("child", "term").filter(pk=form.cleaned_data["pep"]).first()


def _selected_filters(notice_filter, query, about_pep) -> list[dict]:
    """The filters in use, as the select or box shows them, each with the link that drops it."""
    form = notice_filter.form
    selected: list[dict] = []
    if not form.is_bound:
        return selected
    form.is_valid()
    for name in FILTER_NAMES:
        value = form.cleaned_data.get(name)
        if value in (None, ""):
            continue
        field = form.fields[name]
        if name == "pep":
            shown = f"{about_pep.child.la_reference}, {about_pep.term}" if about_pep else "not found"
        elif isinstance(field, forms.ChoiceField):
            shown = dict(field.choices).get(value, value)  # type: ignore[arg-type]
        elif isinstance(field, forms.DateField):
            shown = value.strftime("%-d %b %Y")
        else:
            shown = value
        rest = query.copy()
        rest.pop(name, None)
        rest.pop("page", None)
        selected.append(
            {"name": name, "label": field.label or name, "value": shown, "remove_url": f"?{rest.urlencode()}"}
        )
    return selected


def message_detail(request, pk):
    _require(request.user)
    notice = get_object_or_404(
        visible_notices(request.user).select_related("email", "pep__child", "pep__term", "caused_by", "resent_by"),
        pk=pk,
    )
    recipients = list(notice.recipients.all())
    pep_openable = notice.pep_id is not None and visible_peps(request.user).filter(pk=notice.pep_id).exists()
    return render(
        request,
        "notices/message_detail.html",
        {
            "notice": notice,
            "email": notice.email,
            "to": [r for r in recipients if r.copy == NoticeRecipient.Copy.TO],
            "cc": [r for r in recipients if r.copy == NoticeRecipient.Copy.CC],
            "attempts": [
                {
                    "date": log.date,
                    "sent": log.status == STATUS.sent,
                    "error": ": ".join(part for part in (log.exception_type, log.message) if part),
                }
                for log in selectors.attempts(notice)
            ],
            "max_retries": settings.OUTBOX_MAX_RETRIES,
            "pep_openable": pep_openable,
            "can_resend": notice.state == DeliveryState.FAILED and request.user.has_perm("hvs.resend_message", notice),
        },
    )


@require_POST
def message_resend(request, pk):
    _require(request.user)
    notice = get_object_or_404(visible_notices(request.user).select_related("email"), pk=pk)
    if not request.user.has_perm("hvs.resend_message", notice):
        raise PermissionDenied
    try:
        resend(notice, request.user)
    except NotFailed as error:
        # A second click, another tab, or someone else first: the first resend stands.
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(request, "The message will be sent again, now: its attempts start again from the first.")
    return redirect("notices:detail", pk=notice.pk)
