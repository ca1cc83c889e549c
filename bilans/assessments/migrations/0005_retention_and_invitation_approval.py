"""CT-09: questionnaire content destroyed at the end of the bilan (destroyed_at columns, the
evidence row ContentDestruction, and the result trigger now allowing that one update).
360°: invitations made by the beneficiary wait for the consultant's approval (no link, no email
before). Invitations that already exist were sent: they become ``approved``."""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models

STATUS_CHOICES = [('pending', 'En attente de validation par le consultant'), ('approved', 'Validée'), ('rejected', 'Refusée')]

# Results still refuse DELETE and every UPDATE but one: the destruction of their content at the
# end of the bilan (CT-09), once (destroyed_at goes from NULL to a date), emptying answers and
# scores and leaving every other column as it was (guided_work_seconds counts in the hours).
RESULT_TRIGGER = """
CREATE OR REPLACE FUNCTION assessments_result_is_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.destroyed_at IS NULL AND NEW.destroyed_at IS NOT NULL
        AND NEW.answers = '{}'::jsonb AND NEW.scores = '{}'::jsonb
        AND NEW.id = OLD.id AND NEW.assessment_id = OLD.assessment_id AND NEW.bilan_id = OLD.bilan_id
        AND NEW.instrument_code = OLD.instrument_code AND NEW.instrument_version = OLD.instrument_version
        AND NEW.kind = OLD.kind AND NEW.guided_work_seconds = OLD.guided_work_seconds
        AND NEW.created_at = OLD.created_at
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'assessments_result rows are immutable';
END;
$$ LANGUAGE plpgsql;
"""
RESULT_TRIGGER_REVERSE = """
CREATE OR REPLACE FUNCTION assessments_result_is_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'assessments_result rows are immutable';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('assessments', '0004_feedbackresponse_group'),
        ('bilans', '0006_bilan_close_reason'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ContentDestruction',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('destroyed_at', models.DateTimeField()),
                ('last_destroyed_at', models.DateTimeField()),
                ('reason', models.CharField(max_length=200)),
                ('counts', models.JSONField(default=dict)),
            ],
            options={
                'ordering': ['-destroyed_at'],
            },
        ),
        migrations.AlterModelOptions(
            name='feedbackinvitation',
            options={'ordering': ['email']},
        ),
        migrations.AddField(
            model_name='assessment',
            name='destroyed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='careeranalysis',
            name='destroyed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='feedbackcampaign',
            name='destroyed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='feedbackinvitation',
            name='decided_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='feedbackinvitation',
            name='decided_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='feedbackinvitation',
            name='rejection_reason',
            field=models.CharField(blank=True, max_length=500, verbose_name='motif du refus'),
        ),
        # existing invitations were sent before approval existed: approved
        migrations.AddField(
            model_name='feedbackinvitation',
            name='status',
            field=models.CharField(choices=STATUS_CHOICES, default='approved', max_length=20),
        ),
        migrations.AlterField(
            model_name='feedbackinvitation',
            name='status',
            field=models.CharField(choices=STATUS_CHOICES, default='pending', max_length=20),
        ),
        migrations.AddField(
            model_name='result',
            name='destroyed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='result',
            name='destruction_reason',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name='feedbackinvitation',
            name='sent_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='feedbackinvitation',
            name='token_hash',
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AddConstraint(
            model_name='feedbackinvitation',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'approved', 'rejected'])), name='feedbackinvitation_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='feedbackinvitation',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'approved'), ('token_hash__isnull', False), ('sent_at__isnull', False)), models.Q(models.Q(('status', 'approved'), _negated=True), ('token_hash__isnull', True), ('sent_at__isnull', True), ('used_at__isnull', True)), _connector='OR'), name='feedbackinvitation_link_only_when_approved'),
        ),
        migrations.AddConstraint(
            model_name='result',
            constraint=models.CheckConstraint(condition=models.Q(('destroyed_at__isnull', True), models.Q(('answers', {}), ('scores', {})), _connector='OR'), name='result_destroyed_is_empty'),
        ),
        migrations.AddField(
            model_name='contentdestruction',
            name='bilan',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='assessments_destruction', to='bilans.bilan'),
        ),
        migrations.RunSQL(RESULT_TRIGGER, RESULT_TRIGGER_REVERSE),
    ]
