"""On PostgreSQL the database itself refuses to change or delete an audit entry, whoever
asks (the app, the admin, a psql session as the app's user): a trigger raises on UPDATE
and DELETE unless the transaction set ``audit.purge`` (audit.retention, the retention
job, only). One UPDATE passes: a deleted user's entries losing their actor (the foreign
key's SET NULL), every other column unchanged; actor_email still says who it was.
(SQLite, the embedded default, has no such guard: the app and the admin write no entry.)"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_entry_immutable() RETURNS trigger AS $$
BEGIN
    IF current_setting('audit.purge', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'The audit trail cannot be changed or deleted'
        USING ERRCODE = 'insufficient_privilege', DETAIL = TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_entry_immutable ON audit_auditentry;
CREATE TRIGGER audit_entry_immutable BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_entry_immutable ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_entry_immutable();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_periodic_tasks")]

    operations = [migrations.RunPython(create, drop)]
