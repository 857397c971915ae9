"""Real servers a test starts (and stops) itself, each on a free port of its own: a mail
server (aiosmtpd) keeping what it receives, and a Redis server that can be stopped and
started again on the same port, to see what the service does while one is down.

Ports: any free one, or one in ``HVS_TEST_PORTS`` ("8640-8659") when set, so that runs
beside each other on a shared machine keep to their own ranges.
"""

import asyncio
import email
import email.policy
import logging
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from hvs_qa.celery import app

PORTS_VAR = "HVS_TEST_PORTS"


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 now."""
    span = os.environ.get(PORTS_VAR, "").strip()
    if not span:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]
    low, _, high = span.partition("-")
    candidates = list(range(int(low), int(high or low) + 1))
    random.shuffle(candidates)  # two test processes rarely pick the same one
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS_VAR}={span}")


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    peer: tuple

    @property
    def message_id(self) -> str:
        return self.message["Message-ID"]


@dataclass
class MailServer:
    """An SMTP server (aiosmtpd's Controller, in a thread) accepting every message into
    ``received``; ``delay`` seconds per message make a delivery take a while."""

    port: int = field(default_factory=free_port)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self._controller = None
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self.received.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    email.message_from_bytes(envelope.content, policy=email.policy.default),
                    session.peer,
                )
            )
        return "250 Message accepted for delivery"

    def start(self) -> "MailServer":
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=5)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        """The messages received, once there are ``count`` (or the timeout passes)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.received)

    def django_settings(self) -> dict[str, object]:
        """Django's SMTP backend, pointed here (settings names, as the environment has them)."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_TIMEOUT": 2,
        }


class RedisServer:
    """``redis-server`` on a port of its own, no persistence: stop() and start() again to
    see Redis down and back (on the same port, empty)."""

    READY_SECONDS = 5

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen | None = None
        self._dir = tempfile.mkdtemp(prefix="hvs-test-redis-")

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> "RedisServer":
        command = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self._dir,
        ]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + self.READY_SECONDS
        while not self.answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=5)
            self._process = None

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


@contextmanager
def celery_broker(url: str):
    """This process's Celery app publishing to ``url`` (and back as it was afterwards).
    Celery reads its broker once, into connection pools: those are dropped both ways."""
    before = app.conf.broker_url
    app.conf.broker_url = url
    _drop_pools()
    try:
        yield
    finally:
        app.conf.broker_url = before
        _drop_pools()


def _drop_pools() -> None:
    # Not closed: kombu keeps each URL's pool, which the app takes up again when it returns.
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
