"""Skipping, or failing, a test that needs a real external service.

Locally a developer may not run PostgreSQL, Redis or a Celery worker, so a test that
needs one skips with a reason starting ``service unavailable``. CI sets
``HVS_REQUIRE_SERVICES=1``; there the same situation is a failure, so a broken service
cannot turn into a silently green run::

    from tests.services import require_service

    def test_tasks_run_on_the_worker():
        require_service("redis", redis_is_up())
        ...

``tests/conftest.py`` also turns any other skip whose reason starts with
``service unavailable`` (e.g. a ``skipif`` marker) into a failure when the variable is set.
"""

import os

import pytest

ENV_VAR = "HVS_REQUIRE_SERVICES"
# Seconds to wait for a result from the real Celery worker.
RESULT_TIMEOUT = 60
SKIP_PREFIX = "service unavailable"


def services_required() -> bool:
    return os.environ.get(ENV_VAR, "").strip() == "1"


def require_service(name: str, available: bool, detail: str = "") -> None:
    """Return if ``available``; otherwise skip the test, or fail it when services are required."""
    __tracebackhide__ = True  # report the skip at the calling test, not here
    if available:
        return
    message = f"{SKIP_PREFIX}: {name}" + (f" ({detail})" if detail else "")
    if services_required():
        pytest.fail(f"{message}; {ENV_VAR}=1 requires it", pytrace=False)
    pytest.skip(message)
