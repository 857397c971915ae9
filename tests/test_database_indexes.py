"""No index on the project's tables is a leading prefix of another (PostgreSQL).

An index on (a) is redundant next to one on (a, b): the planner uses the longer one for
lookups on a alone, and every INSERT pays for both. Django adds a single-column index to
each ForeignKey, so a composite or unique index led by the same column makes it a
duplicate (``db_index=False`` drops it; see README "Performance with ten years of history").
"""

import tomllib
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

from .services import require_service

pytestmark = [pytest.mark.services, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parent.parent
PROJECT_APPS = set(
    tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]["layers"]
)

# (table, index) pairs allowed to be a prefix of another index, each with its reason.
M2M = "Django's auto-created many-to-many table: its FK index is not configurable without a through model"
LATER = "a ForeignKey's index, redundant the same way: left for a follow-up migration in its own app (issue 12)"
ALLOWED: dict[tuple[str, str], str] = {
    ("accounts_user_groups", "accounts_user_groups_user_id_52b62117"): M2M,
    ("accounts_user_lead_areas", "accounts_user_lead_areas_user_id_a327017f"): M2M,
    ("accounts_user_user_permissions", "accounts_user_user_permissions_user_id_e4f0a161"): M2M,
    ("practice_peerreviewmeeting_attendees", "sampling_peerreviewmeeting_peerreviewmeeting_id_97b0b6bf"): M2M,
    ("practice_supervision_reviews", "practice_supervision_reviews_supervision_id_7ded68c8"): M2M,
    ("sampling_moderationgroup_members", "sampling_moderationgroup_members_moderationgroup_id_ef8042d0"): M2M,
    ("audit_auditentry", "audit_auditentry_child_id_0ef8e7c7"): LATER,
    ("practice_goldexemplar", "practice_goldexemplar_review_id_886ad9ea"): LATER,
    ("practice_peerreviewpep", "sampling_peerreviewpep_meeting_id_1de878f2"): LATER,
    ("practice_practiceaction", "practice_practiceaction_owner_id_40f2450a"): LATER,
    ("practice_supervision", "practice_supervision_officer_id_a1b368d1"): LATER,
    ("reporting_reportrequest", "reporting_reportrequest_requested_by_id_cea32522"): LATER,
    ("reviews_arearating", "reviews_arearating_review_id_be75c478"): LATER,
    ("reviews_proformaarea", "reviews_proformaarea_pro_forma_id_bdad84c1"): LATER,
    ("sampling_sampleentry", "sampling_sampleentry_assigned_to_id_3b8a30dd"): LATER,
    ("sampling_sampleentry", "sampling_sampleentry_sample_id_26602bf4"): LATER,
}

# Every index of a table: its name, its columns with their operator classes in order
# (a varchar_pattern_ops "_like" index serves LIKE, which the plain one does not), whether
# it is unique, and whether it is partial. Expression indexes (attnum 0) are left out.
INDEXES_SQL = """
SELECT t.relname, i.relname, ix.indisunique, ix.indpred IS NOT NULL,
       array(SELECT a.attname || ' ' || oc.opcname
             FROM unnest(ix.indkey, ix.indclass) WITH ORDINALITY AS k(attnum, opclass, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
             JOIN pg_opclass oc ON oc.oid = k.opclass
             ORDER BY k.ord)
FROM pg_index ix
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND t.relname = ANY(%s) AND NOT (0 = ANY(ix.indkey))
"""


def project_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in PROJECT_APPS and model._meta.managed
    )


def prefix_duplicates(indexes) -> list[tuple[str, str, str]]:
    """(table, index, the longer index it is a prefix of): a non-unique, non-partial index
    whose columns lead another non-partial index. A unique index is kept: it enforces."""
    found = []
    for table, name, unique, partial, columns in indexes:
        if unique or partial:
            continue
        for other_table, other, _, other_partial, other_columns in indexes:
            if other_table != table or other == name or other_partial:
                continue
            if len(other_columns) >= len(columns) and list(other_columns[: len(columns)]) == list(columns):
                found.append((table, name, other))
                break
    return sorted(found)


def test_the_check_finds_a_prefix_duplicate():
    indexes = [
        ("peps_pep", "peps_pep_term_id", False, False, ["term_id int4_ops"]),
        ("peps_pep", "peps_pep_term_officer", False, False, ["term_id int4_ops", "officer_id int4_ops"]),
        ("peps_pep", "peps_pep_name_like", False, False, ["name varchar_pattern_ops"]),
        ("peps_pep", "peps_pep_name_key", True, False, ["name varchar_ops"]),
        ("peps_pep", "peps_pep_open", False, True, ["status text_ops", "term_id int4_ops"]),
        ("peps_pep", "peps_pep_status", False, False, ["status text_ops"]),
    ]
    assert prefix_duplicates(indexes) == [("peps_pep", "peps_pep_term_id", "peps_pep_term_officer")]


def test_no_index_is_a_prefix_of_another():
    require_service("postgresql", connection.vendor == "postgresql", f"reads pg_index, not {connection.vendor}")
    tables = project_tables()
    with connection.cursor() as cursor:
        cursor.execute(INDEXES_SQL, [tables])
        indexes = cursor.fetchall()
    assert {table for table, *_ in indexes} >= {"peps_pep", "reviews_qareview"}  # the query saw the tables
    found = prefix_duplicates(indexes)
    assert [d for d in found if (d[0], d[1]) not in ALLOWED] == []
    # And the allowed list shrinks when one is fixed: no entry outlives its duplicate.
    assert set(ALLOWED) - {(table, index) for table, index, _ in found} == set()
