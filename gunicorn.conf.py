"""gunicorn's configuration, for the Dockerfile, docker-compose.yml and `gunicorn -c
gunicorn.conf.py hvs_qa.wsgi:application` (README, "Production"; the figures behind the
choice in bench/README.md, "Over HTTP").

For a 2-core machine: 3 worker processes of 4 threads each (gthread). A page spends much
of its time waiting on PostgreSQL, so threads overlap that wait cheaply; more than one
process lets both cores run Python at once (one process's threads share one core: the
GIL) and keeps the app answering while one process renders a long export. 3 x 4 = 12
requests in flight and 12 database connections at most (CONN_MAX_AGE keeps them open).
Override with WEB_CONCURRENCY (processes) and GUNICORN_THREADS; on a bigger machine
start from one process a core plus one.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"

# The board report is built by the worker (Celery), so no request should take long: a
# stuck one is killed after 30 s rather than holding a thread.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5  # behind the reverse proxy, which reuses its connections
# Each process is replaced after about a thousand requests (not all at once), so a slow
# leak cannot grow for ever.
max_requests = 1000
max_requests_jitter = 100

# The heartbeat file in memory, not on the container's overlay disk.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# The request line without its query string (filters can name a school or an officer), the
# status, the size and the time in milliseconds.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
