"""bench/http.py's URLs: the app's, plus the bare view it compares every page with; and the
middleware that counts a request's queries.

The bare view runs one query (``SELECT 1``) behind the same middleware as every page (so
for a signed-in user also the session, the user and the second-factor device): the ratio
of a page to it is what the page's own work costs, not the framework's.

Counting queries: a request carrying ``X-Bench-Queries: <id>`` has its queries counted
(``connection.execute_wrapper``), streamed responses until their last chunk, and appends
``<id> <count>`` to the file ``BENCH_QUERY_LOG`` names. The benchmark sends the header on
one extra request per page, not on the timed ones. A file, not a header: a streamed CSV's
queries run after its headers have gone.
"""

import os
import threading

from django.db import connection
from django.http import HttpResponse
from django.urls import path

from hvs_qa.urls import urlpatterns as app_urlpatterns

HEADER = "HTTP_X_BENCH_QUERIES"
_lock = threading.Lock()


def bare(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *app_urlpatterns]


class _Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _record(tag: str, count: int) -> None:
    with _lock, open(os.environ["BENCH_QUERY_LOG"], "a") as log:
        log.write(f"{tag} {count}\n")


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tag = request.META.get(HEADER)
        if not tag or not os.environ.get("BENCH_QUERY_LOG"):
            return self.get_response(request)
        counter = _Counter()
        wrapper = connection.execute_wrapper(counter)
        wrapper.__enter__()
        try:
            response = self.get_response(request)
        except BaseException:
            wrapper.__exit__(None, None, None)
            raise
        if response.streaming and getattr(response, "file_to_stream", None) is None:
            chunks = response.streaming_content

            def counted():
                try:
                    yield from chunks
                finally:
                    wrapper.__exit__(None, None, None)
                    _record(tag, counter.count)

            response.streaming_content = counted()
        else:
            wrapper.__exit__(None, None, None)
            _record(tag, counter.count)
        return response
