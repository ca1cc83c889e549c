"""The ROME source files escape apostrophes SQL-style ("d''exploitation"); the importer now keeps
single ones. This rewrites a referential imported before, in place (no re-import needed)."""
from django.db import migrations, models
from django.db.models import F, Value
from django.db.models.functions import Replace


def undouble(apps, schema_editor):
    for model in apps.get_app_config("ai").get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, (models.CharField, models.TextField)) and not field.primary_key:
                model.objects.filter(**{f"{field.name}__contains": "''"}).update(
                    **{field.name: Replace(F(field.name), Value("''"), Value("'"))}
                )


class Migration(migrations.Migration):
    dependencies = [("ai", "0001_initial")]
    operations = [migrations.RunPython(undouble, migrations.RunPython.noop)]
