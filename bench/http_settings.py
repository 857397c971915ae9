"""Settings for bench/http.py: the app's own (hvs_qa.settings, as the environment makes
them: production with DEBUG=0), served with one more URL, the bare view, and a middleware
that counts a request's queries when the benchmark asks (bench/http_site.py)."""

from hvs_qa.settings import *  # noqa: F403 - the app's settings, unchanged but for the two below
from hvs_qa.settings import MIDDLEWARE

ROOT_URLCONF = "bench.http_site"
# Outermost, so that it counts every query of the request, the session's and the user's too.
MIDDLEWARE = ["bench.http_site.QueryCountMiddleware", *MIDDLEWARE]
