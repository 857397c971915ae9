"""Drop django-auditlog's own log table. Our entries are audit.AuditEntry (the swapped-in
AUDITLOG_LOGENTRY_MODEL), but auditlog's migrations create auditlog_logentry anyway; left
empty, its foreign keys to django_content_type and the users still stop PostgreSQL
truncating those tables (a flush: the tests' transactional cases, `manage.py flush`).

auditlog is pinned to one version in pyproject.toml: a later one whose migrations alter
that table must be checked (and this migration with it) before upgrading."""

from django.db import migrations


def drop_table(apps, schema_editor):
    cascade = " CASCADE" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP TABLE IF EXISTS auditlog_logentry{cascade}")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_immutable_on_postgresql"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(drop_table, migrations.RunPython.noop)]
