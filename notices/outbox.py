"""The outbox: a message is written (a django-post-office Email and our Notice) in the
transaction of the change that causes it, and delivered after that transaction commits:
by the Celery worker where Redis is set, in-process on the embedded default. If the
change rolls back, so does its message; if the broker or the mail server is down, the
message waits (delivery.py retries it, and the scheduled delivery picks it up)."""

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from post_office import mail

from peps.models import Child, Pep

from .models import Notice, NoticeRecipient
from .tasks import deliver_outbox

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str = ""
    part: str = ""  # "designated teacher", "social worker", "allocated officer"...


def child_for_mail(child: Child) -> str:
    """A child as a message names them: LA reference and initials, or the full name only
    where settings say the mail route is secure (an e-mail may be forwarded or misread)."""
    if settings.MAIL_ROUTE_SECURE:
        return f"{child.first_name} {child.last_name} ({child.la_reference})"
    initials = "".join(part[:1].upper() for part in (child.first_name, child.last_name) if part)
    return f"{child.la_reference} ({initials})" if initials else child.la_reference


def _recipients(people: Iterable[Recipient | str], seen: set[str]) -> list[Recipient]:
    kept = []
    for person in people:
        person = Recipient(person) if isinstance(person, str) else person
        address = person.address.strip()
        if not address or address.lower() in seen:
            continue
        seen.add(address.lower())
        kept.append(Recipient(address, person.name, person.part))
    return kept


def queue_message(
    *,
    kind: str,
    to: Sequence[Recipient | str],
    template: str,
    context: Mapping,
    cc: Sequence[Recipient | str] = (),
    pep: Pep | None = None,
    caused_by=None,
    attachments: Mapping[str, bytes] | None = None,
) -> Notice | None:
    """Write one message to the outbox and have it delivered once this transaction commits.

    ``template`` names ``<template>_subject.txt`` and ``<template>.txt``, rendered now with
    ``context`` (plus the Virtual School's name), so the outbox keeps what was sent. An
    address given twice gets one copy; with no address at all nothing is queued (None)."""
    seen: set[str] = set()
    to_people = _recipients(to, seen)
    cc_people = _recipients(cc, seen)
    if not to_people:
        to_people, cc_people = cc_people, []
    if not to_people:
        return None
    context = {"virtual_school_name": settings.VIRTUAL_SCHOOL_NAME, "site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}.txt", context)
    email = mail.send(
        recipients=[p.address for p in to_people],
        cc=[p.address for p in cc_people],
        subject=subject,
        message=body,
        priority="medium",
        attachments={name: ContentFile(content) for name, content in (attachments or {}).items()} or None,
    )
    notice = Notice.objects.create(email=email, kind=kind, pep=pep, caused_by=caused_by)
    NoticeRecipient.objects.bulk_create(
        [NoticeRecipient(notice=notice, address=p.address, name=p.name, part=p.part) for p in to_people]
        + [
            NoticeRecipient(notice=notice, address=p.address, name=p.name, part=p.part, copy=NoticeRecipient.Copy.CC)
            for p in cc_people
        ]
    )
    deliver_after_commit()
    return notice


def deliver_after_commit() -> None:
    """Start a delivery once the current transaction commits: once per transaction, however
    many messages it queues (returning 1,000 PEPs queues 1,000 messages, one delivery)."""
    pending = transaction.get_connection().run_on_commit  # [(savepoint ids, callback, robust)]
    if any(getattr(callback, "is_outbox_delivery", False) for _sids, callback, *_rest in pending):
        return
    transaction.on_commit(start_delivery, robust=True)


def start_delivery() -> None:
    """Ask the worker to deliver (in-process on the embedded default). The broker being down
    loses nothing: the messages wait in the outbox for the scheduled delivery."""
    try:
        deliver_outbox.apply_async(ignore_result=True)
    except Exception:
        logger.warning("Could not start delivering messages now; they wait for the next delivery.", exc_info=True)


start_delivery.is_outbox_delivery = True  # type: ignore[attr-defined]
