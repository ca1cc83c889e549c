from django.db import migrations

from plans.migrations._seed import seed_plans

def seed(apps, schema_editor):
    seed_plans(apps.get_model("plans", "Plan"))


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
