from django.db import migrations

# Extensions live in the public schema, which is on every organisation's search_path:
# btree_gist for exclusion constraints (no double booking), unaccent and pg_trgm for search.
SQL = """
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
"""


def create_extensions(apps, schema_editor):
    if schema_editor.connection.schema_name == "public":
        schema_editor.execute(SQL)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]
    operations = [migrations.RunPython(create_extensions, migrations.RunPython.noop)]
