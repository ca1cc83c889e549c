"""Default plans, forfaits, tariff (barème), top-up packs and credit rules, shared by the seed
migrations and tests. ``seed_plans()`` without arguments seeds everything (tests call it after
a transactional test flushed the tables); rows are updated in place, never duplicated."""

PLANS = [
    {
        "code": "starter", "name": "Starter", "monthly_price_cents": 4900, "price_is_minimum": False,
        "max_active_bilans": 10, "monthly_credits": 300, "position": 1, "support_level": "Support par e-mail",
        "features": [], "capabilities": [],
    },
    {
        "code": "professional", "name": "Professional", "monthly_price_cents": 14900, "price_is_minimum": False,
        "max_active_bilans": 50, "monthly_credits": 1500, "position": 2, "support_level": "Support prioritaire",
        "features": [], "capabilities": ["branding"],
    },
    {
        "code": "enterprise", "name": "Enterprise", "monthly_price_cents": 49900, "price_is_minimum": True,
        "max_active_bilans": None, "monthly_credits": 6000, "position": 3, "support_level": "Support dédié",
        "features": ["Accompagnement dédié à la mise en place"], "capabilities": ["branding", "credit_transfers"],
    },
]

# code, label, category, credits, per_hour
TARIFF = [
    ("document_simple", "Document administratif simple", "document", 5, False),
    ("document_questionnaire", "Questionnaire personnalisé", "document", 10, False),
    ("document_synthesis", "Document de synthèse", "document", 20, False),
    ("document_action_plan", "Plan d'action détaillé", "document", 15, False),
    ("assessment_personality", "Test de personnalité", "assessment", 15, False),
    ("assessment_skills", "Évaluation des compétences", "assessment", 20, False),
    ("assessment_interests", "Test d'intérêts professionnels", "assessment", 15, False),
    ("assessment_complete_analysis", "Analyse complète des résultats", "assessment", 25, False),
    ("ai_career_path_analysis", "Analyse de parcours professionnel (IA)", "ai", 30, False),
    ("ai_career_suggestions", "Suggestions de métiers (IA)", "ai", 25, False),
    ("consultant_validation_unchanged", "Validation sans modification", "consultant", 0, False),
    ("consultant_minor_change", "Modification mineure", "consultant", 5, False),
    ("consultant_major_change", "Modification majeure", "consultant", 15, False),
    ("interview_video_hour", "Entretien en visio (par heure)", "consultant", 30, True),
    ("interview_in_person_hour", "Entretien en présentiel (par heure)", "consultant", 40, True),
]
TARIFF_CODES = [row[0] for row in TARIFF]

_ESSENTIEL_FEATURES = [
    "document_simple", "document_synthesis", "document_action_plan",
    "assessment_skills", "assessment_interests",
    "consultant_validation_unchanged", "consultant_minor_change", "consultant_major_change",
    "interview_video_hour", "interview_in_person_hour",
]
_STANDARD_FEATURES = _ESSENTIEL_FEATURES + [
    "document_questionnaire", "documents_personalised", "assessment_personality",
    "ai_career_suggestions", "projects_alternative",
]
_PREMIUM_FEATURES = _STANDARD_FEATURES + [
    "assessment_complete_analysis", "ai_career_path_analysis", "projects_multiple", "dedicated_consultant",
]
FEATURE_CODES = sorted(set(_PREMIUM_FEATURES))

_ESSENTIEL_PLAN = [
    "assessment_skills", "assessment_interests", "document_simple", "document_simple",
    "document_synthesis", "document_action_plan", "consultant_minor_change",
]  # 85 credits
# An update of the action plan by the AI is a new draft of it (a regeneration), charged with the
# type's code like every draft: « document_action_plan » (plans migration 0005).
_STANDARD_PLAN = _ESSENTIEL_PLAN + [
    "document_questionnaire", "assessment_personality", "ai_career_suggestions",
    "document_action_plan", "interview_video_hour", "consultant_major_change",
]  # 195 credits
_PREMIUM_PLAN = _STANDARD_PLAN + [
    "assessment_complete_analysis", "ai_career_path_analysis", "interview_in_person_hour", "interview_in_person_hour",
    "interview_video_hour", "document_questionnaire",
]  # 370 credits
_ENTREPRISE_PLAN = _PREMIUM_PLAN + [
    "interview_in_person_hour", "interview_in_person_hour", "interview_in_person_hour", "ai_career_path_analysis",
    "document_action_plan", "consultant_major_change",
]  # 550 credits

FORFAITS = [
    {
        "code": "essentiel", "name": "Essentiel", "credits": 100, "validity_months": 3, "max_validity_months": 3,
        "is_custom": False, "position": 1, "features": _ESSENTIEL_FEATURES, "planned_actions": _ESSENTIEL_PLAN,
        "description": ["100 crédits", "Valable 3 mois", "Documents de base", "Outils d'évaluation fondamentaux", "1 projet professionnel"],
    },
    {
        "code": "standard", "name": "Standard", "credits": 250, "validity_months": 6, "max_validity_months": 6,
        "is_custom": False, "position": 2, "features": _STANDARD_FEATURES, "planned_actions": _STANDARD_PLAN,
        "description": ["250 crédits", "Valable 6 mois", "Documents personnalisés", "Outils d'évaluation avancés", "1 projet principal et 1 projet alternatif"],
    },
    {
        "code": "premium", "name": "Premium", "credits": 500, "validity_months": 12, "max_validity_months": 12,
        "is_custom": False, "position": 3, "features": _PREMIUM_FEATURES, "planned_actions": _PREMIUM_PLAN,
        "description": ["500 crédits", "Valable 12 mois", "Documents très personnalisés", "Suite complète d'évaluations", "Projets multiples", "Consultant dédié"],
    },
    {
        "code": "entreprise", "name": "Entreprise", "credits": 1000, "validity_months": 12, "max_validity_months": 24,
        "is_custom": True, "position": 4, "features": FEATURE_CODES, "planned_actions": _ENTREPRISE_PLAN,
        "description": ["1 000 crédits ou plus (sur mesure)", "Valable 12 à 24 mois", "Toutes les fonctionnalités"],
    },
]

# Decreasing unit price: 0,90 €, 0,80 €, 0,70 € per credit (excl. VAT).
PACKS = [
    {"code": "pack-50", "credits": 50, "price_cents": 4500, "position": 1},
    {"code": "pack-100", "credits": 100, "price_cents": 8000, "position": 2},
    {"code": "pack-250", "credits": 250, "price_cents": 17500, "position": 3},
]


def full_model_lacks(Plan, field: str) -> bool:
    """Migration 0002 seeds with a historical Plan that predates later fields."""
    return field not in {f.name for f in Plan._meta.get_fields()}


def seed_plans(Plan=None) -> None:
    full = Plan is None
    if Plan is None:
        from plans.models import Plan
    for plan in PLANS:
        fields = {key: value for key, value in plan.items() if key != "capabilities" or not full_model_lacks(Plan, key)}
        Plan.objects.update_or_create(code=plan["code"], defaults=fields)
    if full:
        from plans.models import CreditRules, ForfaitType, TariffItem, TopUpPack

        seed_credits(ForfaitType, TariffItem, TopUpPack, CreditRules)


def seed_credits(ForfaitType, TariffItem, TopUpPack, CreditRules) -> None:
    for position, (code, label, category, credits, per_hour) in enumerate(TARIFF, start=1):
        TariffItem.objects.get_or_create(
            code=code, defaults={"label": label, "category": category, "credits": credits, "per_hour": per_hour, "position": position}
        )
    for forfait in FORFAITS:
        ForfaitType.objects.get_or_create(code=forfait["code"], defaults=forfait)
    for pack in PACKS:
        TopUpPack.objects.get_or_create(code=pack["code"], defaults=pack)
    CreditRules.objects.get_or_create(pk=1, defaults={"trial_credits": trial_credits_needed(ForfaitType, TariffItem) or 100})


def trial_credits_needed(ForfaitType, TariffItem) -> int:
    """Credits a new organisation needs to run one whole bilan: the price of the cheapest active,
    fixed forfait, and at least what its typical course costs in the barème (0 without forfaits)."""
    forfait = ForfaitType.objects.filter(is_active=True, is_custom=False).order_by("credits", "position").first()
    if forfait is None:
        return 0
    prices = dict(TariffItem.objects.values_list("code", "credits"))
    course = sum(prices.get(code, 0) for code in forfait.planned_actions or [])
    return max(forfait.credits, course)
