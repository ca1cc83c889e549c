"""Retire two lines of the barème that no feature ever charged.

- ``ai_documentary_research`` (« Recherche documentaire ciblée (IA) »): the platform has no AI
  documentary research (the ROME search is a free lookup of open data).
- ``ai_action_plan_update`` (« Mise à jour du plan d'action (IA) »): an update of the action plan
  by the AI is a new draft of it (a regeneration), charged like every draft with the document
  type's code, ``document_action_plan``; a validated plan cannot be redrafted.

Ledger entries store their action code as text (no foreign key), so any existing entry stays
valid and keeps its amount and unit price. Forfait types stop listing the two codes as features;
in their typical course (the forecast), an action plan update becomes ``document_action_plan``
and documentary research is dropped, so that the forecast only counts actions that are charged.
"""
from django.db import migrations

RETIRED = {
    "ai_documentary_research": ("Recherche documentaire ciblée (IA)", "ai", 10, False),
    "ai_action_plan_update": ("Mise à jour du plan d'action (IA)", "ai", 15, False),
}
REPLACED_IN_COURSE = {"ai_action_plan_update": "document_action_plan"}


def retire(apps, schema_editor):
    TariffItem = apps.get_model("plans", "TariffItem")
    ForfaitType = apps.get_model("plans", "ForfaitType")
    for forfait in ForfaitType.objects.all():
        features = [code for code in forfait.features or [] if code not in RETIRED]
        course = [REPLACED_IN_COURSE.get(code, code) for code in forfait.planned_actions or []]
        planned = [code for code in course if code not in RETIRED]
        if features != (forfait.features or []) or planned != (forfait.planned_actions or []):
            forfait.features, forfait.planned_actions = features, planned
            forfait.save(update_fields=["features", "planned_actions"])
    TariffItem.objects.filter(code__in=list(RETIRED)).delete()


def restore(apps, schema_editor):
    """The barème lines come back; forfaits are not changed back (add the features in the console)."""
    TariffItem = apps.get_model("plans", "TariffItem")
    position = (TariffItem.objects.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    for offset, (code, (label, category, credits, per_hour)) in enumerate(RETIRED.items()):
        TariffItem.objects.get_or_create(
            code=code, defaults={"label": label, "category": category, "credits": credits, "per_hour": per_hour, "position": position + offset}
        )


class Migration(migrations.Migration):
    dependencies = [("plans", "0004_ledger_triggers_and_seed")]
    operations = [migrations.RunPython(retire, restore)]
