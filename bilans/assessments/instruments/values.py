"""Work values: six values, each rated by two statements and ranked once against the others."""
from .common import IMPORTANCE_5

SCALE = "importance"
VALUES = {
    "achievement": ("Réussite", ["Utiliser pleinement mes capacités", "Voir concrètement le résultat de mon travail"]),
    "independence": ("Autonomie", ["Organiser mon travail comme je l'entends", "Prendre des décisions par moi-même"]),
    "recognition": ("Reconnaissance", ["Être reconnu·e pour la qualité de mon travail", "Avoir des perspectives d'évolution"]),
    "relationships": ("Relations", ["Travailler avec des collègues avec qui je m'entends bien", "Être utile aux autres"]),
    "support": ("Soutien", ["Pouvoir compter sur un encadrement juste et présent", "Être formé·e et accompagné·e"]),
    "working_conditions": ("Conditions de travail", ["Avoir un bon salaire et de la sécurité d'emploi", "Concilier travail et vie personnelle"]),
}

DEFINITION = {
    "code": "values",
    "version": 1,
    "kind": "values",
    "title": "Valeurs professionnelles",
    "description": (
        "Ce qui compte pour vous dans un travail : notez l'importance de douze affirmations, puis classez les "
        "six valeurs de la plus importante à la moins importante."
    ),
    "minutes": 5,
    "action_code": "",
    "scales": {SCALE: IMPORTANCE_5},
    "dimensions": {code: label for code, (label, _) in VALUES.items()},
    "scoring": {"method": "values", "ranking_item": "V_RANK"},
    "sections": [
        {
            "id": "rating",
            "title": "Importance de chaque aspect",
            "items": [
                {"id": f"V{index * 2 + number + 1:02d}", "text": text, "scale": SCALE, "dimension": code, "reverse": False}
                for index, (code, (_, texts)) in enumerate(VALUES.items())
                for number, text in enumerate(texts)
            ],
        },
        {
            "id": "ranking",
            "title": "Classement des six valeurs",
            "items": [
                {
                    "id": "V_RANK",
                    "text": "Classez ces valeurs de 1 (la plus importante pour vous) à 6 (la moins importante).",
                    "scale": "rang",
                    "options": [{"value": code, "label": label} for code, (label, _) in VALUES.items()],
                }
            ],
        },
    ],
}
DEFINITION["scales"]["rang"] = {"type": "ranking"}
