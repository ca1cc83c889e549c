from django.db import migrations, models


class Migration(migrations.Migration):
    """When the beneficiary first opened a published document: until then it is "to read" in the
    beneficiary's next actions."""

    dependencies = [
        ("documents", "0004_retention_agreement"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="beneficiary_opened_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="ouvert par le bénéficiaire le"),
        ),
    ]
