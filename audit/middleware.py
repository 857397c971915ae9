from auditlog.middleware import AuditlogMiddleware

from .trail import client_address


class AuditMiddleware(AuditlogMiddleware):
    """auditlog's middleware (the signed-in user and their address on every entry the
    request writes), with the address read as audit.trail reads it: X-Forwarded-For only
    behind a trusted proxy, since a client can send any."""

    @staticmethod
    def _get_remote_addr(request):
        return client_address(request)
