"""PostgreSQL query plans, for the tests that guard that a query's cost follows the term
(or the user's caseload), not the archive: no table of the history read whole.

    from tests.plans import assert_indexed, explain

    def test_x(...):
        assert_indexed(explain(visible_peps(officer)))

The plans are made with ``enable_seqscan`` off (for the test's transaction), so that on a
test's few rows the planner still shows the index it would use on many: a table that no
index serves is then read whole anyway (a Seq Scan, or an Index Scan with no condition),
and the assertion fails.
"""

import json

from django.db import connection
from django.db.models import QuerySet

from .services import require_service

# The tables that grow with every term.
HISTORY_TABLES = ("peps_pep", "reviews_qareview", "reviews_arearating")


def require_postgresql() -> None:
    require_service(
        "postgresql", connection.vendor == "postgresql", f"EXPLAINs PostgreSQL's plans, not {connection.vendor}"
    )


def explain(query: QuerySet | str, params=()) -> dict:
    """The plan (EXPLAIN FORMAT JSON) of a queryset's SELECT, or of SQL with its params."""
    if isinstance(query, QuerySet):
        query, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # No parameters: captured SQL (CaptureQueriesContext) has its values in; a LIKE's % stays.
        cursor.execute("EXPLAIN (FORMAT JSON) " + query, params or None)
        (document,) = cursor.fetchone()
    return (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def whole_reads(plan: dict, tables=HISTORY_TABLES) -> list[str]:
    """The scans of ``tables`` that read the table whole: a Seq Scan, or an index scan with
    no condition (the planner's way round enable_seqscan when no index serves)."""
    found = []
    for node in nodes(plan):
        if node.get("Relation Name") not in tables:
            continue
        kind = node["Node Type"]
        if kind == "Seq Scan" or (kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node):
            found.append(f"{kind} on {node['Relation Name']}")
        if kind == "Bitmap Heap Scan":
            found += [
                f"Bitmap Index Scan on {node['Relation Name']} with no condition"
                for bitmap in nodes(node)
                if bitmap["Node Type"] == "Bitmap Index Scan" and "Index Cond" not in bitmap
            ]
    return found


def indexes_used(plan: dict) -> set[str]:
    return {node["Index Name"] for node in nodes(plan) if "Index Name" in node}


def assert_indexed(plan: dict, tables=HISTORY_TABLES) -> None:
    __tracebackhide__ = True
    assert whole_reads(plan, tables) == [], json.dumps(plan, indent=1)
