"""gunicorn's configuration, for the Dockerfile, docker-compose.yml and `gunicorn -c
gunicorn.conf.py hvs_qa.wsgi:application` (README, "Production"; the figures behind the
choice in bench/README.md, "Over HTTP").

For a 2-core machine: 2 worker processes of 8 threads each (gthread). A process a core
lets both cores run Python at once (a process's threads share one: the GIL); the threads
overlap what a page spends waiting on PostgreSQL, and keep short pages moving while a
long export or PDF holds one thread. 2 x 8 = 16 requests in flight and 16 database
connections at most (CONN_MAX_AGE keeps them open). With 50 users at once on ten years
of history it served about twice the requests a second of 3 x 4, 4 x 2 or 5 sync
processes, with the shortest tail (bench/README.md, "Over HTTP"); measured again after
issue 12's fourth pass (57 requests a second where it served 23), 2 x 4 to 4 x 4 served
within 15% of it, and more processes had the longer tail. Override with
WEB_CONCURRENCY (processes) and GUNICORN_THREADS; on a bigger machine start from a
process a core and measure with `bench/run http --concurrent-only --workers N --threads M`.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
worker_class = "gthread" if threads > 1 else "sync"

# A process that stops answering its master's heartbeat for 30 s is replaced. With threads
# this is the process's timeout, not a request's: a long request runs on in its thread.
# Both report PDFs are built in the background (the Celery worker, or without Redis a
# thread of the process: reporting/background.py; the social care PDF of a 10,000-child
# authority took 31 s when it was built inside a request), so pages should not need long.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5  # behind the reverse proxy, which reuses its connections
# Each process is replaced after a few thousand requests (not all at once), so a slow leak
# cannot grow for ever. The app is loaded before the processes fork, so a replacement
# answers at once: loading Django in each new process took 2-5 s on 2 busy cores, and the
# requests queued for it waited that long (bench/README.md, "Over HTTP").
max_requests = 5000
max_requests_jitter = 500
preload_app = True

# The heartbeat file in memory, not on the container's overlay disk.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# The request line without its query string (filters can name a school or an officer), the
# status, the size and the time in milliseconds.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
