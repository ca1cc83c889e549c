"""360° primo-diagnostic (use case #1, managers and executives): maturity of a mobility project
across eight life domains, three statements each, shown as a radar."""
from .common import MATURITY_5

SCALE = "maturite"
DOMAINS = {
    "job": ("Emploi", [
        "Je sais quel poste ou quel type de poste je vise",
        "J'ai identifié des employeurs ou des offres correspondant à mon projet",
        "Mes compétences actuelles correspondent à ce poste",
    ]),
    "location": ("Lieu", [
        "J'ai choisi la région ou la ville où je veux travailler",
        "Je connais le marché de l'emploi de ce lieu",
        "Ce lieu est compatible avec mes attaches personnelles",
    ]),
    "housing": ("Logement", [
        "Je sais où et comment je me logerais",
        "J'ai estimé le coût du logement",
        "Les démarches de logement me paraissent réalisables",
    ]),
    "transport": ("Transports", [
        "Je connais le temps de trajet que j'accepterais",
        "J'ai vérifié les moyens de transport disponibles",
        "Le coût des déplacements est compatible avec mon budget",
    ]),
    "family": ("Famille", [
        "J'ai parlé de ce projet avec mes proches",
        "Mes proches soutiennent ce projet",
        "L'organisation familiale (conjoint, enfants, aidants) est envisagée",
    ]),
    "finances": ("Finances", [
        "J'ai estimé le budget de la transition",
        "Je connais les financements possibles (CPF, employeur, aides)",
        "Je peux faire face à une baisse temporaire de revenus",
    ]),
    "quality_of_life": ("Qualité de vie", [
        "Ce projet améliorerait mon équilibre de vie",
        "Je sais ce que je gagnerais et ce que je perdrais au quotidien",
        "Le rythme de travail visé me convient",
    ]),
    "motivation": ("Motivations", [
        "Je sais pourquoi je veux changer",
        "Mon envie de changer est durable, pas seulement liée à une difficulté passagère",
        "Je me sens prêt·e à engager des démarches dans les prochains mois",
    ]),
}

DEFINITION = {
    "code": "primo360",
    "version": 1,
    "kind": "primo360",
    "title": "Primo-diagnostic 360° du projet de mobilité",
    "description": (
        "Pour les managers et cadres qui envisagent une mobilité : pour chacun des huit domaines de vie, "
        "dites où en est votre réflexion. Le résultat montre sous forme de radar les domaines déjà mûrs et "
        "ceux à travailler avec votre consultant."
    ),
    "minutes": 8,
    "action_code": "",
    "scales": {
        SCALE: MATURITY_5,
        "horizon": {"type": "choice", "options": [
            {"value": "6m", "label": "Dans les 6 mois"},
            {"value": "1y", "label": "Dans l'année"},
            {"value": "2y", "label": "Dans un à deux ans"},
            {"value": "unknown", "label": "Je ne sais pas encore"},
        ]},
        "texte": {"type": "text", "max_length": 2000},
    },
    "dimensions": {code: label for code, (label, _) in DOMAINS.items()},
    "scoring": {"method": "dimensions"},
    "sections": [
        {
            "id": code,
            "title": label,
            "items": [
                {"id": f"{code}_{number}", "text": text, "scale": SCALE, "dimension": code, "reverse": False}
                for number, text in enumerate(texts, start=1)
            ],
        }
        for code, (label, texts) in DOMAINS.items()
    ]
    + [
        {
            "id": "horizon",
            "title": "Calendrier",
            "items": [
                {"id": "horizon", "text": "Quand souhaitez-vous concrétiser ce projet ?", "scale": "horizon"},
                {"id": "freins", "text": "Qu'est-ce qui vous freine le plus aujourd'hui ? (facultatif)", "scale": "texte", "optional": True},
            ],
        }
    ],
}
