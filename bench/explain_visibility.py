"""EXPLAIN ANALYZE the queries whose cost could grow with the archive: visibility, the PEP
list (count and page, every sort, deep pages), the start pages' counts, the ratings export.

    DATABASE_URL=postgres://... .venv/bin/python bench/explain_visibility.py [--only NAME]

Run it on a database a benchmark left filled (bench/sampling.py leaves its authority in
it). For each query it prints the server's execution time (the best of three EXPLAIN
ANALYZE runs), the shared buffers it touched and whether it sequentially scanned peps_pep
or reviews_arearating.
"""

import argparse
import os
import re
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="run the scenarios whose name contains this")
    parser.add_argument("--plans", action="store_true", help="print the plans too")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hvs_qa.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.core.paginator import Paginator
    from django.db import connection
    from django.db.models import Count
    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext

    from access.policy import peps_with_outcome_visible, visible_peps
    from accounts.models import User
    from core.vocabulary import Role
    from peps.models import Pep, Term
    from reporting.exports import rating_rows
    from reporting.figures import term_counts
    from sampling.selectors import blind_pep_ids
    from web.peps.filters import PEP_SORTS, PepFilter
    from web.peps.views import _sorted

    assert connection.vendor == "postgresql", "EXPLAIN ANALYZE here is PostgreSQL's"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    term = Term.objects.current()
    assert term is not None, "no terms: fill the database with a benchmark first"
    officer = User.objects.filter(role=Role.OFFICER).annotate(n=Count("caseload")).order_by("-n").first()
    manager = User.objects.filter(role=Role.MANAGER).annotate(n=Count("line_reports")).order_by("-n").first()
    vsh = User.objects.filter(role=Role.VSH).first()
    users = {"officer": officer, "manager": manager, "vsh": vsh}
    print(f"{Pep.objects.count():,} PEPs, {Pep.objects.filter(term=term).count():,} in {term}")

    def page_of(user, query: str):
        data = QueryDict(query, mutable=True)
        blind = blind_pep_ids(user)
        peps = visible_peps(user).select_related("child", "child__school", "term", "officer")
        sort = data.pop("sort", ["child"])[0]
        number = data.pop("page", ["1"])[0]
        data.pop("term", None) if data.get("term") == "" else None
        qs = PepFilter(data or None, queryset=peps, user=user).qs
        page = Paginator(_sorted(qs, sort, blind), settings.PEPS_PER_PAGE).get_page(number)
        return list(page.object_list)

    def count_all(user):
        return visible_peps(user).count()

    def count_term(user):
        return visible_peps(user).filter(term=term).count()

    def start_page(user):
        return term_counts(peps_with_outcome_visible(user).filter(term=term))

    def export(user):
        return len(list(rating_rows(user, term)))

    lists = ["term=all", "term=all&page=40", "term=all&sort=-term", f"term={term.pk}", f"term={term.pk}&page=20"]
    lists += [f"term={term.pk}&status=submitted"] + [f"term={term.pk}&sort=-{key}" for key in PEP_SORTS]
    scenarios: list[tuple[str, Callable[[], object]]] = []
    for role, user in users.items():
        scenarios += [
            (f"{role}: visible_peps count, all terms", partial(count_all, user)),
            (f"{role}: visible_peps count, the term", partial(count_term, user)),
            (f"{role}: start page counts", partial(start_page, user)),
        ]
        scenarios += [
            (f"{role}: PEP list ?{query.replace(str(term.pk), 'T')}", partial(page_of, user, query)) for query in lists
        ]
        scenarios.append((f"{role}: ratings export", partial(export, user)))

    for name, run in scenarios:
        if args.only and args.only not in name:
            continue
        with CaptureQueriesContext(connection) as captured:
            run()
        total, buffers, seq = 0.0, 0, set()
        for query in captured.captured_queries:
            # A streamed query (.iterator()) is a server-side cursor: explain its SELECT.
            sql = re.sub(r"^DECLARE .*? CURSOR (WITH(OUT)? HOLD )?FOR ", "", query["sql"])
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            times = []
            for _ in range(3):
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                found = re.search(r"Execution Time: ([\d.]+) ms", plan)
                assert found, plan
                times.append(float(found.group(1)))
            total += min(times)
            first = re.search(r"Buffers: shared hit=(\d+)(?: read=(\d+))?", plan)
            buffers += int(first.group(1)) + int(first.group(2) or 0) if first else 0
            seq |= set(re.findall(r"Seq Scan on (peps_pep|reviews_arearating)", plan))
            if args.plans:
                print(sql, "\n", plan, "\n")
        scans = "SEQ " + ",".join(sorted(seq)) if seq else ""
        print(f"{name:<55} {total:9.2f} ms  {buffers:7} buf  {len(captured):2} q  {scans}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
