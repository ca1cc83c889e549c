from django.db import migrations

# Issued invoices and credit notes never change (gapless, immutable numbering; corrections by
# credit notes only): the database refuses UPDATE and DELETE of an issued one and any change of
# its lines. Quotes may still move from issued to accepted or refused. TRUNCATE stays possible
# for test teardown and for dropping a whole organisation.
SQL = """
CREATE OR REPLACE FUNCTION billing_document_is_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.kind IN ('invoice', 'credit_note') AND OLD.status <> 'draft' THEN
        RAISE EXCEPTION 'billing document % is issued and immutable', OLD.number;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_document_immutable
    BEFORE UPDATE OR DELETE ON billing_billingdocument
    FOR EACH ROW EXECUTE FUNCTION billing_document_is_immutable();

CREATE OR REPLACE FUNCTION billing_line_is_immutable() RETURNS trigger AS $$
DECLARE
    parent_id uuid;
BEGIN
    IF TG_OP = 'INSERT' THEN
        parent_id := NEW.document_id;
    ELSE
        parent_id := OLD.document_id;
    END IF;
    IF EXISTS (SELECT 1 FROM billing_billingdocument d WHERE d.id = parent_id AND d.kind IN ('invoice', 'credit_note') AND d.status <> 'draft') THEN
        RAISE EXCEPTION 'lines of an issued billing document are immutable';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_line_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON billing_billingline
    FOR EACH ROW EXECUTE FUNCTION billing_line_is_immutable();
"""
REVERSE = """
DROP TRIGGER IF EXISTS billing_document_immutable ON billing_billingdocument;
DROP TRIGGER IF EXISTS billing_line_immutable ON billing_billingline;
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
