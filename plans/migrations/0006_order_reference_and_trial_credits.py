"""Orders get a unique reference (written on the bank transfer); the trial grants enough credits
to run one whole bilan.

The trial's credits are computed from the data, not guessed: the price of the cheapest active,
non-custom forfait (its budget then pays for the forfait's typical course, e.g. questionnaires,
documents, the synthèse and its validation), and at least the cost of that course in the barème.
A value already raised by staff is kept (the larger of the two).
"""
from django.db import migrations, models
from django.db.models import Q

import plans.models


def fill_references(apps, schema_editor):
    Order = apps.get_model("plans", "Order")
    used = set()
    for order in Order.objects.all().only("pk"):
        reference = plans.models.order_reference_new()
        while reference in used:
            reference = plans.models.order_reference_new()
        used.add(reference)
        Order.objects.filter(pk=order.pk).update(reference=reference)


SEEDED_FEATURES = {
    "starter": ["Jusqu'à 10 bilans actifs", "Fonctionnalités essentielles", "300 crédits inclus par mois"],
    "professional": ["Jusqu'à 50 bilans actifs", "Toutes les fonctionnalités", "Personnalisation à vos couleurs", "1 500 crédits inclus par mois"],
    "enterprise": ["Bilans illimités", "Accès API", "Accompagnement dédié", "6 000 crédits inclus par mois", "Transferts de crédits entre bilans"],
}
CAPABILITIES = {"starter": [], "professional": ["branding"], "enterprise": ["branding", "credit_transfers"]}
EXTRA_FEATURES = {"enterprise": ["Accompagnement dédié à la mise en place"]}


def plans_gate_what_they_sell(apps, schema_editor):
    """Plans list what they unlock as codes (checked by the code, listed on the pricing page);
    the seeded feature lines that repeated a number (bilans, credits) or promised what no plan
    gates (« Toutes les fonctionnalités »: every plan has every tool, per bilan forfait; the API
    is open to every plan) are replaced. Lines already edited by staff are kept."""
    Plan = apps.get_model("plans", "Plan")
    for plan in Plan.objects.all():
        plan.capabilities = CAPABILITIES.get(plan.code, [])
        fields = ["capabilities"]
        if plan.features == SEEDED_FEATURES.get(plan.code):
            plan.features = EXTRA_FEATURES.get(plan.code, [])
            fields.append("features")
        plan.save(update_fields=fields)


def raise_trial_credits(apps, schema_editor):
    from plans.migrations._seed import trial_credits_needed

    CreditRules = apps.get_model("plans", "CreditRules")
    needed = trial_credits_needed(apps.get_model("plans", "ForfaitType"), apps.get_model("plans", "TariffItem"))
    rules, _ = CreditRules.objects.get_or_create(pk=1)
    if needed and rules.trial_credits < needed:
        rules.trial_credits = needed
        rules.save(update_fields=["trial_credits"])


class Migration(migrations.Migration):
    dependencies = [("plans", "0005_retire_uncharged_ai_tariff")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="reference",
            field=models.CharField(default="", editable=False, max_length=20, verbose_name="référence", help_text="À indiquer dans le libellé du virement"),
            preserve_default=False,
        ),
        migrations.RunPython(fill_references, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="order",
            name="reference",
            field=models.CharField(
                default=plans.models.order_reference_new, editable=False, max_length=20, verbose_name="référence",
                help_text="À indiquer dans le libellé du virement",
            ),
        ),
        migrations.AddConstraint(model_name="order", constraint=models.UniqueConstraint(fields=["reference"], name="order_reference_unique")),
        migrations.AddConstraint(model_name="order", constraint=models.CheckConstraint(condition=~Q(reference=""), name="order_reference_required")),
        migrations.AlterField(
            model_name="creditrules",
            name="trial_credits",
            field=models.PositiveIntegerField(
                default=100,
                help_text="Au moins le prix du forfait le moins cher, pour qu'un nouvel espace puisse mener un bilan complet.",
                verbose_name="crédits offerts pendant l'essai",
            ),
        ),
        migrations.RunPython(raise_trial_credits, migrations.RunPython.noop),
        migrations.AddField(
            model_name="plan",
            name="capabilities",
            field=models.JSONField(
                blank=True, default=list, help_text="Codes de PLAN_CAPABILITIES débloqués par la formule", verbose_name="fonctionnalités réservées (codes)"
            ),
        ),
        migrations.RunPython(plans_gate_what_they_sell, migrations.RunPython.noop),
    ]
