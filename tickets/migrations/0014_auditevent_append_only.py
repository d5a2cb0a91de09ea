"""The audit trail is append-only in the database too, on PostgreSQL: a trigger refuses every UPDATE and DELETE
of ``tickets_auditevent``, whoever sends it (the ORM already refuses, the admin offers neither; this holds for
plain SQL, a script, a future migration or an injected statement run as the application's role).

Written as SQL run from RunPython rather than with django-pgtrigger, which is not among the dependencies; the
Python step only skips the SQL on other databases (SQLite keeps the ORM's and the admin's refusals: its test
flush deletes rows, which a trigger there would refuse). Not covered: TRUNCATE, which fires no row trigger and
which Django's test flush on PostgreSQL uses, and the table's owner, who can drop the trigger: in production
run migrations as the owning role and the application as a role without TRUNCATE or ownership.
A migration that must ever correct audit rows disables the trigger inside its own transaction
(``ALTER TABLE tickets_auditevent DISABLE TRIGGER tickets_auditevent_append_only`` … ``ENABLE``).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION tickets_auditevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail is append-only: % on tickets_auditevent is refused.', TG_OP
        USING HINT = 'Record a correction as a new audit event.';
END;
$$;
CREATE TRIGGER tickets_auditevent_append_only
    BEFORE UPDATE OR DELETE ON tickets_auditevent
    FOR EACH ROW EXECUTE FUNCTION tickets_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS tickets_auditevent_append_only ON tickets_auditevent;
DROP FUNCTION IF EXISTS tickets_auditevent_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # no parameters: the "%" are PL/pgSQL's
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0013_idempotencykey'),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
