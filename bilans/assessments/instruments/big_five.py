"""Personality (five factors): 50 statements adapted in French for this product from the
public-domain IPIP Big-Five factor markers (Goldberg, ipip.ori.org), 10 per factor, with their
reverse keying. A description of preferences at work, not a clinical or diagnostic tool."""
from .common import AGREEMENT_5

SCALE = "accord"

# (dimension, statement, reverse-keyed) in the IPIP order of presentation.
STATEMENTS = [
    ("E", "Je mets de l'ambiance dans un groupe.", False),
    ("A", "Je me sens peu concerné·e par les autres.", True),
    ("C", "Je suis toujours bien préparé·e.", False),
    ("N", "Je me sens facilement sous pression.", True),
    ("O", "J'ai un vocabulaire riche.", False),
    ("E", "Je parle peu.", True),
    ("A", "Je m'intéresse aux gens.", False),
    ("C", "Je laisse traîner mes affaires.", True),
    ("N", "Je suis détendu·e la plupart du temps.", False),
    ("O", "J'ai du mal à comprendre les idées abstraites.", True),
    ("E", "Je me sens à l'aise avec les autres.", False),
    ("A", "Il m'arrive de blesser les gens par mes paroles.", True),
    ("C", "Je fais attention aux détails.", False),
    ("N", "Je me fais du souci pour beaucoup de choses.", True),
    ("O", "J'ai une imagination débordante.", False),
    ("E", "Je reste en retrait.", True),
    ("A", "Je comprends ce que ressentent les autres.", False),
    ("C", "Il m'arrive de tout mettre en désordre.", True),
    ("N", "Je me sens rarement abattu·e.", False),
    ("O", "Les idées abstraites ne m'intéressent pas.", True),
    ("E", "J'engage facilement la conversation.", False),
    ("A", "Les problèmes des autres ne m'intéressent pas.", True),
    ("C", "Je fais les tâches à accomplir sans attendre.", False),
    ("N", "Je suis facilement perturbé·e.", True),
    ("O", "J'ai souvent d'excellentes idées.", False),
    ("E", "J'ai peu de choses à dire.", True),
    ("A", "J'ai bon cœur.", False),
    ("C", "J'oublie souvent de ranger les choses à leur place.", True),
    ("N", "Je me contrarie facilement.", True),
    ("O", "Je manque d'imagination.", True),
    ("E", "Je parle à beaucoup de personnes différentes lors d'un événement.", False),
    ("A", "Je ne m'intéresse pas vraiment aux autres.", True),
    ("C", "J'aime l'ordre.", False),
    ("N", "Mon humeur change souvent.", True),
    ("O", "Je comprends vite.", False),
    ("E", "Je n'aime pas attirer l'attention.", True),
    ("A", "Je prends du temps pour les autres.", False),
    ("C", "Il m'arrive de me dérober à mes obligations.", True),
    ("N", "J'ai des sautes d'humeur fréquentes.", True),
    ("O", "J'emploie des mots recherchés.", False),
    ("E", "Être au centre de l'attention ne me dérange pas.", False),
    ("A", "Je ressens les émotions des autres.", False),
    ("C", "Je respecte un planning.", False),
    ("N", "Je m'agace facilement.", True),
    ("O", "Je prends le temps de réfléchir aux choses.", False),
    ("E", "Je suis discret·ète avec les inconnus.", True),
    ("A", "Je mets les gens à l'aise.", False),
    ("C", "Je suis exigeant·e dans mon travail.", False),
    ("N", "Je me sens souvent morose.", True),
    ("O", "Je déborde d'idées.", False),
]

_items = [
    {"id": f"B{number:02d}", "text": text, "scale": SCALE, "dimension": dimension, "reverse": reverse}
    for number, (dimension, text, reverse) in enumerate(STATEMENTS, start=1)
]

DEFINITION = {
    "code": "big_five",
    "version": 1,
    "kind": "big_five",
    "title": "Personnalité au travail (cinq grands traits)",
    "description": (
        "50 affirmations : dites dans quelle mesure chacune vous décrit tel·le que vous êtes habituellement, "
        "pas tel·le que vous aimeriez être. Le résultat décrit vos préférences sur cinq grands traits ; ce "
        "n'est ni un diagnostic ni une évaluation de votre valeur, et aucun profil n'est meilleur qu'un autre. "
        "Affirmations adaptées des marqueurs du domaine public IPIP (Goldberg)."
    ),
    "minutes": 10,
    "action_code": "assessment_personality",
    "scales": {SCALE: AGREEMENT_5},
    "dimensions": {
        "E": "Extraversion",
        "A": "Agréabilité",
        "C": "Caractère consciencieux",
        "N": "Stabilité émotionnelle",
        "O": "Ouverture d'esprit",
    },
    "scoring": {"method": "dimensions"},
    "sections": [
        {"id": f"p{index + 1}", "title": f"Affirmations {index * 10 + 1} à {index * 10 + 10}", "items": _items[index * 10:(index + 1) * 10]}
        for index in range(5)
    ],
}
