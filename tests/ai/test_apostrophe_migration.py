"""A referential imported before the apostrophe fix is rewritten in place by ai.0002."""
from importlib import import_module

from django.apps import apps
from django.db import connection

from ai.models import Occupation


def test_migration_rewrites_doubled_apostrophes_of_an_older_import(rome):
    connection.set_schema_to_public()
    occupation = Occupation.objects.filter(definition__contains="d'").first()
    Occupation.objects.filter(pk=occupation.pk).update(definition="Conduit des engins d''abattage.")
    import_module("ai.migrations.0002_single_apostrophes").undouble(apps, None)
    occupation.refresh_from_db()
    assert occupation.definition == "Conduit des engins d'abattage."
