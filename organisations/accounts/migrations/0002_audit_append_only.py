from django.db import migrations

# The audit log is append-only in every schema: the database itself refuses UPDATE and DELETE.
# TRUNCATE stays possible for test teardown and for dropping a whole organisation.
SQL = """
CREATE OR REPLACE FUNCTION audit_event_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'accounts_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_auditevent_append_only
    BEFORE UPDATE OR DELETE ON accounts_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_is_append_only();
"""
REVERSE = """
DROP TRIGGER IF EXISTS accounts_auditevent_append_only ON accounts_auditevent;
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
