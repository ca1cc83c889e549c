from django.db import migrations

# Results never change after submission: the database refuses UPDATE and DELETE.
# TRUNCATE stays possible for test teardown and for dropping a whole organisation.
SQL = """
CREATE OR REPLACE FUNCTION assessments_result_is_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'assessments_result rows are immutable';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER assessments_result_immutable
    BEFORE UPDATE OR DELETE ON assessments_result
    FOR EACH ROW EXECUTE FUNCTION assessments_result_is_immutable();
"""
REVERSE = "DROP TRIGGER IF EXISTS assessments_result_immutable ON assessments_result;"


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
