from auditlog.context import auditlog_value
from auditlog.middleware import AuditlogMiddleware

from .trail import client_address


class AuditMiddleware(AuditlogMiddleware):
    """auditlog's middleware (the signed-in user and their address on every entry the
    request writes), with the address read as audit.trail reads it: X-Forwarded-For only
    behind a trusted proxy, since a client can send any. And the request's actor is
    forgotten when it ends: auditlog leaves it set in the thread, where the next job run
    there (or the next test) would take it for its own."""

    @staticmethod
    def _get_remote_addr(request):
        return client_address(request)

    def __call__(self, request):
        token = auditlog_value.set({})
        try:
            return super().__call__(request)
        finally:
            auditlog_value.reset(token)
