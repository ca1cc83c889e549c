from collections import Counter

from django import forms

from plans.models import PLAN_CAPABILITIES, CreditRules, LedgerEntry, TariffItem


class HistoryFilterForm(forms.Form):
    type = forms.ChoiceField(label="Type d'écriture", required=False, choices=[("", "Tous")] + list(LedgerEntry.Kind.choices))
    action = forms.ChoiceField(label="Action", required=False)
    bilan = forms.UUIDField(label="Bilan (identifiant)", required=False)
    du = forms.DateField(label="Du", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    au = forms.DateField(label="Au", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Toutes")] + list(TariffItem.objects.order_by("position").values_list("code", "label"))


class AutoTopUpForm(forms.Form):
    enabled = forms.BooleanField(label="Recharger automatiquement quand le solde passe sous le seuil", required=False)
    threshold = forms.IntegerField(label="Seuil (crédits)", min_value=0, max_value=1_000_000)
    pack = forms.ChoiceField(label="Pack à acheter", required=False)

    def __init__(self, *args, packs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pack"].choices = [("", "—")] + [(p.code, f"{p.credits} crédits") for p in packs]


class TransferForm(forms.Form):
    source = forms.UUIDField(label="Bilan d'origine")
    target = forms.UUIDField(label="Bilan de destination")
    credits = forms.IntegerField(label="Crédits à transférer", min_value=1, max_value=1_000_000)
    reason = forms.CharField(label="Motif", max_length=300, required=False)


class AdjustmentForm(forms.Form):
    credits = forms.IntegerField(
        label="Crédits", help_text="Positif pour ajouter, négatif pour retirer.", min_value=-1_000_000, max_value=1_000_000
    )
    bilan = forms.UUIDField(label="Bilan (laisser vide pour le portefeuille)", required=False)
    reason = forms.CharField(label="Motif (obligatoire, conservé dans le journal)", max_length=500)


class CreditRulesForm(forms.ModelForm):
    class Meta:
        model = CreditRules
        fields = [
            "trial_days",
            "trial_credits",
            "pack_validity_days",
            "topup_validity_extension_days",
            "renewal_bonus_percent",
            "carry_over_percent",
        ]


# --- catalogue (staff console) -------------------------------------------------------------------
def euros_to_cents(value: str) -> int:
    """"49", "49,90", "1 490.5 €", "-5" → cents (the sign is kept: the service refuses it)."""
    from decimal import Decimal, InvalidOperation

    text = str(value or "").replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("€", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise forms.ValidationError("Indiquez un montant en euros, par exemple 49,90.", code="invalid_price") from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise forms.ValidationError("Indiquez un montant en euros avec au plus deux décimales.", code="invalid_price")
    if abs(amount) > 1_000_000:
        raise forms.ValidationError("Ce montant est trop élevé.", code="invalid_price")
    return int(amount * 100)


def cents_to_euros(cents: int) -> str:
    units, rest = divmod(int(cents), 100)
    return f"{units},{rest:02d}"


class EurosField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def prepare_value(self, value):
        return cents_to_euros(value) if isinstance(value, int) else value

    def clean(self, value):
        return euros_to_cents(super().clean(value))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class PlanForm(forms.Form):
    name = forms.CharField(label="Nom", max_length=80)
    monthly_price = EurosField(label="Prix mensuel HT (€)", help_text="Par exemple 49 ou 49,90.")
    price_is_minimum = forms.BooleanField(label="Sur devis : afficher « à partir de » ce prix", required=False)
    unlimited_bilans = forms.BooleanField(label="Bilans actifs illimités", required=False)
    max_active_bilans = forms.IntegerField(label="Bilans actifs maximum", required=False, max_value=1_000_000, help_text="Ignoré si illimité.")
    monthly_credits = forms.IntegerField(label="Crédits mensuels inclus", max_value=1_000_000)
    features = forms.CharField(
        label="Autres lignes affichées sur la page tarifs", required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Une par ligne. Les bilans actifs, les crédits mensuels et les fonctionnalités réservées sont affichés automatiquement.",
    )
    capabilities = forms.MultipleChoiceField(
        label="Fonctionnalités réservées à cette formule", required=False, widget=forms.CheckboxSelectMultiple,
        choices=list(PLAN_CAPABILITIES.items()), help_text="Vérifiées par la plateforme et listées sur la page tarifs.",
    )
    support_level = forms.CharField(label="Support", max_length=120, required=False)
    is_public = forms.BooleanField(label="Affichée sur la page tarifs", required=False)

    @classmethod
    def initial_for(cls, plan) -> dict:
        return {
            "name": plan.name,
            "monthly_price": plan.monthly_price_cents,
            "price_is_minimum": plan.price_is_minimum,
            "unlimited_bilans": plan.max_active_bilans is None,
            "max_active_bilans": plan.max_active_bilans,
            "monthly_credits": plan.monthly_credits,
            "features": "\n".join(plan.features or []),
            "capabilities": list(plan.capabilities or []),
            "support_level": plan.support_level,
            "is_public": plan.is_public,
        }

    def clean(self):
        data = super().clean()
        if not data.get("unlimited_bilans") and data.get("max_active_bilans") is None and "max_active_bilans" not in self.errors:
            self.add_error("max_active_bilans", "Indiquez un nombre de bilans actifs ou cochez « illimités ».")
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "monthly_price_cents": data["monthly_price"],
            "price_is_minimum": data["price_is_minimum"],
            "max_active_bilans": None if data["unlimited_bilans"] else data["max_active_bilans"],
            "monthly_credits": data["monthly_credits"],
            "features": _lines(data["features"]),
            "capabilities": data["capabilities"],
            "support_level": data["support_level"],
            "is_public": data["is_public"],
        }


class PackForm(forms.Form):
    credits = forms.IntegerField(label="Crédits", max_value=1_000_000)
    price = EurosField(label="Prix HT (€)")
    is_active = forms.BooleanField(label="Proposé à la vente", required=False)

    @classmethod
    def initial_for(cls, pack) -> dict:
        return {"credits": pack.credits, "price": pack.price_cents, "is_active": pack.is_active}

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"credits": data["credits"], "price_cents": data["price"], "is_active": data["is_active"]}


PROJECTS_CHOICES = [("1", "1 projet professionnel"), ("projects_alternative", "1 projet principal et 1 projet alternatif"), ("projects_multiple", "Projets multiples (3)")]


class ForfaitTypeForm(forms.Form):
    name = forms.CharField(label="Nom", max_length=80)
    credits = forms.IntegerField(label="Crédits", max_value=1_000_000)
    validity_months = forms.IntegerField(label="Validité (mois)", max_value=1_000)
    is_custom = forms.BooleanField(label="Sur mesure (crédits et durée ajustables à l'attribution)", required=False)
    max_validity_months = forms.IntegerField(label="Validité maximale (mois, forfait sur mesure)", required=False, max_value=1_000)
    projects = forms.ChoiceField(label="Nombre de projets professionnels", choices=PROJECTS_CHOICES)
    features = forms.MultipleChoiceField(label="Fonctionnalités incluses", required=False, widget=forms.CheckboxSelectMultiple)
    description = forms.CharField(
        label="Contenu affiché", required=False, widget=forms.Textarea(attrs={"rows": 5}), help_text="Une ligne par élément."
    )
    is_active = forms.BooleanField(label="Proposé à l'attribution", required=False)

    PLANNED_PREFIX = "planned-"

    def __init__(self, *args, feature_groups=(), tariff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.feature_groups = list(feature_groups)
        self.fields["features"].choices = [(code, label) for _, rows in self.feature_groups for code, label in rows]
        self.tariff = list(tariff)
        for item in self.tariff:
            self.fields[f"{self.PLANNED_PREFIX}{item.code}"] = forms.IntegerField(
                label=item.label, min_value=0, max_value=50, required=False
            )

    def planned_fields(self):
        """The bound count field of each barème line, in the barème's order."""
        return [self[f"{self.PLANNED_PREFIX}{item.code}"] for item in self.tariff]

    @classmethod
    def initial_for(cls, forfait) -> dict:
        features = forfait.features or []
        projects = next((code for code in ("projects_multiple", "projects_alternative") if code in features), "1")
        return {
            "name": forfait.name,
            "credits": forfait.credits,
            "validity_months": forfait.validity_months,
            "is_custom": forfait.is_custom,
            "max_validity_months": forfait.max_validity_months,
            "projects": projects,
            "features": [code for code in features if not code.startswith("projects_")],
            "description": "\n".join(forfait.description or []),
            "is_active": forfait.is_active,
            **{f"{cls.PLANNED_PREFIX}{code}": count for code, count in Counter(forfait.planned_actions or []).items()},
        }

    def grouped_features(self):
        """(group label, [bound checkbox]) for the template, in the groups' order."""
        by_value = {str(widget.data["value"]): widget for widget in self["features"]}
        return [(label, [by_value[code] for code, _ in rows if code in by_value]) for label, rows in self.feature_groups]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        features = [code for code in data["features"] if not code.startswith("projects_")]
        if data["projects"] != "1":
            features.append(data["projects"])
        return {
            "name": data["name"],
            "credits": data["credits"],
            "validity_months": data["validity_months"],
            "max_validity_months": data["max_validity_months"],
            "is_custom": data["is_custom"],
            "features": features,
            "description": _lines(data["description"]),
            "is_active": data["is_active"],
            "planned_actions": self._planned_actions(),
        }

    def _planned_actions(self) -> list[str] | None:
        """One barème code per planned step; None (unchanged) when the form sent no count."""
        names = [f"{self.PLANNED_PREFIX}{item.code}" for item in self.tariff]
        if not any(name in self.data for name in names):
            return None
        return [item.code for item, name in zip(self.tariff, names) for _ in range(self.cleaned_data.get(name) or 0)]
