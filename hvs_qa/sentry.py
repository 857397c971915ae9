"""Error reporting by Sentry (sentry-sdk with its Django and Celery integrations), on only
when SENTRY_DSN is set (settings). Children's data must not leave the council, so what is
sent is what locates a fault and nothing a person typed or a record holds:

- ``send_default_pii=False`` and ``include_local_variables=False`` (frames carry no values);
- ``scrub`` (``before_send``) removes, from every event: the request's body, cookies, query
  string and headers but a harmless few (the URL is kept without its query); the user but
  their id (no name, e-mail, username or IP address); every frame's local variables; the
  exception messages and the log message's arguments (they may quote a value, a name or a
  reference: the type, the stack and the message's template are kept); the breadcrumbs
  (log lines and queries of the request); ``extra``.
"""

from typing import Any, cast

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.types import Event, Hint

REMOVED = "[removed]"
KEPT_HEADERS = {"user-agent", "content-type", "content-length", "accept", "host", "x-request-id"}


def scrub(event: Event, hint: Hint | None = None) -> Event:
    return cast(Event, _scrub(cast(dict[str, Any], event)))


def _scrub(event: dict[str, Any]) -> dict[str, Any]:
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for exception in (event.get("exception") or {}).get("values") or []:
        if exception.get("value"):
            exception["value"] = REMOVED
        _strip_frames(exception.get("stacktrace"))
    for thread in (event.get("threads") or {}).get("values") or []:
        _strip_frames(thread.get("stacktrace"))
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry.pop("params", None)
        logentry.pop("formatted", None)
    if event.get("message") and isinstance(logentry, dict) and logentry.get("message"):
        event["message"] = logentry["message"]
    event.pop("breadcrumbs", None)
    event.pop("extra", None)
    return event


def _strip_frames(stacktrace) -> None:
    for frame in (stacktrace or {}).get("frames") or []:
        frame.pop("vars", None)


def init_sentry(dsn: str, *, environment: str = "", traces_sample_rate: float = 0.0, **options) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub,
        before_send_transaction=scrub,
        traces_sample_rate=traces_sample_rate,
        **options,
    )
