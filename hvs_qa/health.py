"""The health check, ``GET /health/`` (django-health-check): the database answers, the
migrations are all applied, the cache and the file storage (MEDIA_ROOT, where reports are
written) work, and, when REDIS_URL is set, a Celery worker answers a ping. 200 when all
pass, 500 otherwise; always a small JSON object, check name -> "OK" or "unavailable"
(never a child's data, a setting, a host name or an error message: what failed and why goes
to the log, django-health-check's warning with the exception).

It needs no sign-in (login_not_required): compose's and the image's HEALTHCHECK call it
from inside the container (``bin/healthcheck``), and a load balancer may. It says no more
than that each service works, so it is not protected further; a proxy may still keep it to
the internal network.
"""

import dataclasses
import datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration is applied (a new image started before ``migrate`` ran fails it)."""

    alias: str = DEFAULT_DB_ALIAS

    def run(self) -> None:
        connection = connections[self.alias]
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        finally:
            connection.close()
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migration(s) not applied")


def checks() -> list:
    found: list = [
        "health_check.checks.Database",
        Migrations,
        "health_check.checks.Cache",
        "health_check.checks.Storage",
    ]
    if settings.REDIS_URL:
        # A worker answers through the broker within the timeout.
        found.append(
            (
                "health_check.contrib.celery.Ping",
                {"timeout": datetime.timedelta(seconds=settings.HEALTH_CELERY_TIMEOUT)},
            )
        )
    return found


class HealthView(HealthCheckView):
    """django-health-check's view, answering the same small JSON whatever is asked (no
    HTML page, feed or metrics): {"Database": "OK", "Ping": "unavailable", ...}."""

    def get_checks(self):
        self.checks = checks()
        return super().get_checks()

    def render_to_response_json(self, status):
        return JsonResponse(
            {result.check.labels["check"]: "unavailable" if result.error else "OK" for result in self.results},
            status=status,
        )

    def render_to_response(self, context, **response_kwargs):
        return self.render_to_response_json(response_kwargs.get("status", 200))

    render_to_response_text = render_to_response_json

    def render_to_response_atom(self):
        return self.render_to_response_json(self._status())

    render_to_response_rss = render_to_response_openmetrics = render_to_response_atom

    def _status(self) -> int:
        return 500 if any(result.error for result in self.results) else 200
