"""The reports' background work where there is no Celery worker (the embedded default,
no REDIS_URL: ``task_always_eager``).

A report is never built inside the web request that asked for it, so gunicorn's timeout
can never be what ends one: with Redis the worker builds it; without, ``submit`` hands
the task to a small pool of threads in this process, after the request's transaction
has committed (``reporting.services`` queues on commit), and the request returns at once
with the "being prepared" page, which polls until the build is done.

``REPORTS_IN_PROCESS`` chooses how the in-process work runs:

- ``"thread"`` (the default): in the pool, ``REPORTS_IN_PROCESS_THREADS`` at a time (1:
  on SQLite one build at a time keeps the writes short and the pages quick). A build lost
  with its process (a restart) is left "being prepared" and given up as stale
  (``ReportRequest.is_stale``), as a lost Celery task is.
- ``"inline"``: in the caller, as Celery's eager mode does (the tests' default, so that a
  test sees the result at once; tests/conftest.py). ``wait`` lets a test that uses the
  threads wait for them.
"""

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

THREAD = "thread"
INLINE = "inline"

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None
_futures: set[Future] = set()


def mode() -> str:
    chosen = getattr(settings, "REPORTS_IN_PROCESS", THREAD)
    if chosen not in (THREAD, INLINE):
        raise ValueError(f"REPORTS_IN_PROCESS must be {THREAD!r} or {INLINE!r}, not {chosen!r}")
    return chosen


def _executor() -> ThreadPoolExecutor:
    global _pool, _pool_pid
    with _lock:
        # A pool made before a fork (gunicorn's preload) has no threads in the child.
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(
                max_workers=max(1, int(getattr(settings, "REPORTS_IN_PROCESS_THREADS", 1))),
                thread_name_prefix="hvs-reports",
            )
            _pool_pid = os.getpid()
            _futures.clear()
        return _pool


def submit(task, args: tuple) -> None:
    """Run the Celery ``task(*args)`` in-process: in the pool, or here (``"inline"``)."""
    if mode() == INLINE:
        task.apply_async(args=args)  # eager: runs now, its errors propagate
        return
    future = _executor().submit(_run, task, args)
    with _lock:
        _futures.add(future)
    future.add_done_callback(_forget)


def _forget(future: Future) -> None:
    with _lock:
        _futures.discard(future)


def _run(task, args: tuple) -> None:
    try:
        # As the worker would: with its retries (on a lost connection), not raising here.
        result = task.apply(args=args, throw=False)
        if result.failed():
            logger.error("In-process %s%r failed: %r", task.name, args, result.result)
    except Exception:
        logger.exception("In-process %s%r failed", task.name, args)
    finally:
        # This thread's connections are its own: close them, or each build leaves one open.
        connections.close_all()


def wait(timeout: float | None = None) -> bool:
    """Wait for the work submitted so far; False if some is still running after ``timeout``."""
    with _lock:
        pending = set(_futures)
    if not pending:
        return True
    _done, not_done = wait_for_futures(pending, timeout=timeout)
    return not not_done
