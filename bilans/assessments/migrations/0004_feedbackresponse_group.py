from django.db import migrations, models


def number_groups(apps, schema_editor):
    """Existing answers: groups of the campaign's threshold by day of submission (the only order
    kept), then by identifier."""
    FeedbackCampaign = apps.get_model("assessments", "FeedbackCampaign")
    FeedbackResponse = apps.get_model("assessments", "FeedbackResponse")
    for campaign in FeedbackCampaign.objects.all():
        responses = FeedbackResponse.objects.filter(campaign=campaign).order_by("created_date", "id")
        for index, response in enumerate(responses):
            FeedbackResponse.objects.filter(pk=response.pk).update(group=index // campaign.threshold)


class Migration(migrations.Migration):

    dependencies = [
        ("assessments", "0003_skillreview_frequency_context"),
    ]

    operations = [
        migrations.AddField(
            model_name="feedbackresponse",
            name="group",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(number_groups, migrations.RunPython.noop),
    ]
