from django.db import migrations

# RGPD erasure (RG-04): the audit log keeps the fact, not the person. The log stays append-only,
# with one narrow exception: inside a transaction that sets app.audit_label_scrub = 'on'
# (organisations.accounts.services.audit_labels_scrub), an UPDATE may change the two label
# columns and blank the IP address, and nothing else. Any other UPDATE, and every DELETE, is still refused.
SQL = """
CREATE OR REPLACE FUNCTION audit_event_is_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND coalesce(current_setting('app.audit_label_scrub', true), '') = 'on'
       AND NEW.id IS NOT DISTINCT FROM OLD.id
       AND NEW.occurred_at IS NOT DISTINCT FROM OLD.occurred_at
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
       AND NEW.action IS NOT DISTINCT FROM OLD.action
       AND NEW.object_type IS NOT DISTINCT FROM OLD.object_type
       AND NEW.object_id IS NOT DISTINCT FROM OLD.object_id
       AND (NEW.ip_address IS NULL OR NEW.ip_address IS NOT DISTINCT FROM OLD.ip_address)
       AND NEW.details IS NOT DISTINCT FROM OLD.details
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'accounts_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
"""
REVERSE = """
CREATE OR REPLACE FUNCTION audit_event_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'accounts_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_audit_append_only")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
