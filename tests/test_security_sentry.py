"""Error reporting (issue 10): Sentry only with SENTRY_DSN, and nothing personal sent:
``scrub`` on a synthetic event, and the options the SDK is started with."""

import os
import subprocess
import sys

import sentry_sdk

from hvs_qa import sentry


def _event() -> dict:
    return {
        "message": "Import #4 of Childfirst Childlast failed",
        "logentry": {"message": "Import #%s of %s failed", "params": [4, "Childfirst Childlast"]},
        "request": {
            "url": "https://hvs.example/peps/?q=Childlast",
            "method": "POST",
            "query_string": "q=Childlast",
            "data": {"first_name": "Childfirst", "strengths": "Childfirst likes maths"},
            "cookies": {"sessionid": "s3cret"},
            "headers": {"Cookie": "sessionid=s3cret", "User-Agent": "Firefox", "Referer": "https://hvs.example/?q=Ch"},
            "env": {"REMOTE_ADDR": "10.0.0.9"},
        },
        "user": {"id": 7, "username": "olu.officer", "email": "olu@example.org", "ip_address": "10.0.0.9"},
        "exception": {
            "values": [
                {
                    "type": "ValidationError",
                    "value": "['Childfirst Childlast: date of birth 01/02/2015 is not valid']",
                    "stacktrace": {"frames": [{"function": "save", "lineno": 3, "vars": {"child": "Childfirst"}}]},
                }
            ]
        },
        "threads": {"values": [{"stacktrace": {"frames": [{"function": "run", "vars": {"name": "Childlast"}}]}}]},
        "breadcrumbs": {"values": [{"message": "SELECT ... WHERE last_name = 'Childlast'"}]},
        "extra": {"child": "Childfirst Childlast"},
    }


def test_scrub_removes_every_personal_field_of_a_synthetic_event():
    event = sentry.scrub(_event(), {})
    text = repr(event)
    for secret in ("Childfirst", "Childlast", "s3cret", "olu", "10.0.0.9", "01/02/2015", "Referer"):
        assert secret not in text, secret
    request = event["request"]
    assert request == {"url": "https://hvs.example/peps/", "method": "POST", "headers": {"User-Agent": "Firefox"}}
    assert event["user"] == {"id": 7}
    exception = event["exception"]["values"][0]
    assert exception["type"] == "ValidationError" and exception["value"] == sentry.REMOVED
    assert exception["stacktrace"]["frames"] == [{"function": "save", "lineno": 3}]  # where, not what
    assert event["message"] == "Import #%s of %s failed" and event["logentry"] == {"message": "Import #%s of %s failed"}
    assert "breadcrumbs" not in event and "extra" not in event


def test_scrub_takes_an_event_with_nothing_to_remove():
    assert sentry.scrub({"level": "error"}, None) == {"level": "error"}


def test_sentry_is_off_without_a_dsn():
    assert "SENTRY_DSN" not in os.environ
    assert not sentry_sdk.get_client().is_active()
    # And a fresh process with SENTRY_DSN set starts it, with the scrubbing options.
    code = (
        "import django, sentry_sdk; django.setup(); o = sentry_sdk.get_client().options; "
        "print(sentry_sdk.get_client().is_active(), o['send_default_pii'], o['include_local_variables'], "
        "o['before_send'].__qualname__, o['max_request_body_size'], sorted(o['integrations'] and "
        "[type(i).__name__ for i in o['integrations']]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hvs_qa.settings", "SENTRY_DSN": "https://key@sentry.invalid/1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    active, pii, local_vars, before_send, body, integrations = out.stdout.split(" ", 5)
    assert (active, pii, local_vars, before_send, body) == ("True", "False", "False", "scrub", "never")
    assert "DjangoIntegration" in integrations and "CeleryIntegration" in integrations
