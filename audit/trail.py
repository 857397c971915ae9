"""Writing the audit trail: who saw what (views and downloads) and the bulk writes that
model signals miss. Changes through save() and delete() are auditlog's own (registration).

Views call ``record_view(request, obj, "page")`` or ``record_download(request, "name",
about=obj, filters={...})``, one line each, after they have found what they show.
"""

from auditlog.context import auditlog_disabled, auditlog_value
from auditlog.diff import model_instance_diff
from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.dispatch import receiver
from django.http import HttpRequest

from core.signals import bulk_written

from .children import children_of
from .models import AuditEntry, content_type_of
from .registration import AUDITED

Action = AuditEntry.Action


def client_address(request: HttpRequest) -> str | None:
    """The address the request came from. X-Forwarded-For is believed only behind a proxy
    the settings trust (AUDIT_TRUST_X_FORWARDED_FOR): then its last address is the one our
    proxy saw (anything before it the client may have typed)."""
    if settings.AUDIT_TRUST_X_FORWARDED_FOR:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or None


def _who(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    return {
        "actor": actor,
        "actor_email": getattr(actor, "email", None) or None,
        "remote_addr": client_address(request),
    }


def record_view(request: HttpRequest, obj: models.Model, page: str) -> AuditEntry:
    """A person saw ``obj`` (a child, a PEP, a review) on ``page``."""
    return AuditEntry.objects.log_create(
        obj,
        action=Action.ACCESS,
        force_log=True,
        additional_data={"page": page, "path": request.path},
        **_who(request),
    )


def record_download(request: HttpRequest, name: str, *, about: models.Model, filters: dict | None = None) -> AuditEntry:
    """A person downloaded ``name`` (a CSV, a spreadsheet, a PDF): one entry for the
    file, on the record it is about (a term for an export of many children, a report, an
    import run), with the filter or term it was drawn for."""
    return AuditEntry.objects.log_create(
        about,
        action=Action.ACCESS,
        force_log=True,
        additional_data={
            "download": name,
            "path": request.path,
            "filters": {key: str(value) for key, value in (filters or {}).items()},
        },
        **_who(request),
    )


# --- bulk writes ---------------------------------------------------------------------


def _context() -> dict:
    """Who is acting, as auditlog's middleware (or set_actor) recorded it; nobody for a
    scheduled job."""
    try:
        context = auditlog_value.get()
    except LookupError:
        return {}
    actor = context.get("actor")
    return {
        "actor": actor,
        "actor_email": getattr(actor, "email", None) or None,
        "remote_addr": context.get("remote_addr"),
        "remote_port": context.get("remote_port"),
    }


def _included(model: type[models.Model]) -> list[str]:
    """The fields of ``model`` the trail records (as auditlog's registration says)."""
    fields = auditlog.get_model_fields(model)
    names = [f.name for f in model._meta.concrete_fields] + list(AUDITED.get(model, {}).get("m2m_fields", ()))
    if fields["include_fields"]:
        names = [n for n in names if n in fields["include_fields"]]
    return [n for n in names if n not in fields["exclude_fields"]]


def _field_name(name: str, allowed: set[str]) -> str | None:
    """A written field's name as the trail names it: ``school_id`` is ``school``,
    ``lead_area_ids`` is ``lead_areas``; None for one the trail does not record."""
    for candidate in (name, name.removesuffix("_id"), name.removesuffix("_ids") + "s"):
        if candidate in allowed:
            return candidate
    return None


@receiver(bulk_written, dispatch_uid="audit-bulk-written")
def record_bulk_write(sender, created=(), updated=(), **kwargs) -> list[AuditEntry]:
    """An entry per record written in bulk, as auditlog would have written for a save."""
    if not auditlog.contains(sender) or auditlog_disabled.get():  # not audited, or a migration's model
        return []
    created, updated = list(created), list(updated)
    allowed = set(_included(sender))
    content_type = content_type_of(sender)
    children = children_of(sender, [obj.pk for obj in created] + [pk for pk, _ in updated])
    who = _context()
    entries = []
    for obj in created:
        changes = model_instance_diff(None, obj) or {}
        # (Not str(obj): it may read related rows, a query per record.)
        entries.append(_entry(content_type, obj.pk, _text(sender, obj.pk), Action.CREATE, changes, children, who))
    for pk, changes in updated:
        changes = {
            _field_name(name, allowed): [str(b), str(a)]
            for name, (b, a) in changes.items()
            if _field_name(name, allowed)
        }
        if changes:
            entries.append(_entry(content_type, pk, _text(sender, pk), Action.UPDATE, changes, children, who))
    return AuditEntry.objects.bulk_create(entries, batch_size=1000)


def _text(model: type[models.Model], pk) -> str:
    return f"{model._meta.verbose_name} {pk}"


def _entry(content_type, pk, text, action, changes, children, who) -> AuditEntry:
    return AuditEntry(
        content_type=content_type,
        object_pk=str(pk),
        object_id=pk if isinstance(pk, int) else None,
        object_repr=text,
        action=action,
        changes=changes,
        changes_text="",
        child_id=children.get(pk),
        additional_data={"bulk": True},
        **who,
    )
