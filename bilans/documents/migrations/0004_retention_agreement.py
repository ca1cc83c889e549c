
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def mark_earlier_retention_agreements(apps, schema_editor):
    """CT-09 (b): documents kept before the agreement was documented: how it was obtained is
    unknown ("non précisé"), not invented."""
    Document = apps.get_model("documents", "Document")
    Document.objects.filter(retained_until__isnull=False, retention_method="").update(retention_method="unspecified")


class Migration(migrations.Migration):

    dependencies = [
        ('bilans', '0007_third_party_access_and_retention_agreement'),
        ('documents', '0003_multi_signer_and_sealed_records'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='document',
            name='retention_agreed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='document',
            name='retention_agreement_date',
            field=models.DateField(blank=True, null=True, verbose_name="date de l'accord écrit"),
        ),
        migrations.AddField(
            model_name='document',
            name='retention_agreement_reference',
            field=models.CharField(blank=True, max_length=200, verbose_name="référence de l'accord écrit"),
        ),
        migrations.AddField(
            model_name='document',
            name='retention_follow_up_need',
            field=models.TextField(blank=True, verbose_name='besoin de suivi justifiant la conservation'),
        ),
        migrations.AddField(
            model_name='document',
            name='retention_method',
            field=models.CharField(blank=True, choices=[('online', 'En ligne, par le bénéficiaire depuis son espace'), ('signed_paper', 'Document papier signé'), ('email', 'Par e-mail'), ('unspecified', "Non précisé (accord enregistré avant la traçabilité de l'accord)")], max_length=20, verbose_name='accord écrit recueilli'),
        ),
        migrations.AddField(
            model_name='document',
            name='retention_recorded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(mark_earlier_retention_agreements, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='document',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('retained_until__isnull', True), ('retention_agreed_at__isnull', True), ('retention_method', '')), models.Q(('retained_until__isnull', False), ('retention_method', 'unspecified')), models.Q(('retained_until__isnull', False), ('retention_agreed_at__isnull', False), ('retention_method__in', ['online', 'signed_paper', 'email']), models.Q(('retention_follow_up_need', ''), _negated=True), models.Q(('retention_agreement_reference', ''), _negated=True), ('retention_agreement_date__isnull', False)), _connector='OR'), name='document_retention_agreement_documented'),
        ),
    ]
