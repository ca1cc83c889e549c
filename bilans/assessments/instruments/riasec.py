"""Interests inventory (RIASEC, Holland): 48 activities, 8 per type, rated on a liking scale.
Wording written for this product. The three-letter Holland code is compared with the ROME's
RIASEC codes of each métier in career matching."""
from .common import LIKING_5, items

SCALE = "aime"

SECTIONS = [
    ("R", "Réaliste : faire, fabriquer, réparer", [
        "Réparer un appareil ou un meuble",
        "Travailler en extérieur, par tous les temps",
        "Utiliser des outils ou conduire des machines",
        "Construire ou rénover quelque chose de ses mains",
        "Entretenir un jardin, des plantations ou des animaux",
        "Monter et régler un équipement technique",
        "Faire un travail physique et concret",
        "Piloter un véhicule ou un engin",
    ]),
    ("I", "Investigateur : comprendre, analyser, chercher", [
        "Analyser des données pour comprendre un phénomène",
        "Mener une expérience ou une enquête approfondie",
        "Résoudre un problème complexe de logique ou de mathématiques",
        "Lire des études scientifiques ou techniques",
        "Chercher l'origine d'une panne ou d'une erreur",
        "Apprendre le fonctionnement d'une nouvelle technologie",
        "Observer et comparer des résultats avec méthode",
        "Programmer un logiciel ou automatiser une tâche",
    ]),
    ("A", "Artistique : créer, imaginer, exprimer", [
        "Dessiner, peindre ou photographier",
        "Écrire des textes, des histoires ou des articles",
        "Imaginer la décoration ou l'aménagement d'un lieu",
        "Jouer de la musique, chanter ou jouer la comédie",
        "Concevoir une affiche, un logo ou une maquette",
        "Inventer de nouvelles façons de faire",
        "Travailler sans consignes strictes, avec liberté de création",
        "Visiter des expositions ou assister à des spectacles",
    ]),
    ("S", "Social : aider, accompagner, transmettre", [
        "Aider une personne à résoudre ses difficultés",
        "Expliquer ou enseigner quelque chose à un groupe",
        "Soigner ou prendre soin de personnes",
        "Écouter et conseiller quelqu'un",
        "Animer une activité pour des enfants ou des adultes",
        "Accueillir et orienter du public",
        "Participer à une action bénévole ou solidaire",
        "Travailler en équipe à un projet commun",
    ]),
    ("E", "Entreprenant : convaincre, diriger, décider", [
        "Convaincre quelqu'un d'adopter une idée ou un produit",
        "Diriger une équipe et prendre des décisions",
        "Créer ou développer sa propre activité",
        "Négocier un prix ou un contrat",
        "Prendre la parole en public",
        "Se fixer des objectifs ambitieux et les atteindre",
        "Organiser un événement et en assumer la responsabilité",
        "Représenter une organisation auprès de partenaires",
    ]),
    ("C", "Conventionnel : organiser, vérifier, classer", [
        "Tenir des comptes ou un budget",
        "Classer et archiver des documents",
        "Suivre des procédures précises",
        "Vérifier l'exactitude de chiffres ou de documents",
        "Remplir des tableaux ou des bases de données",
        "Planifier un calendrier et en suivre le respect",
        "Appliquer des règles ou une réglementation",
        "Gérer des stocks ou des commandes",
    ]),
]

DEFINITION = {
    "code": "riasec",
    "version": 1,
    "kind": "riasec",
    "title": "Centres d'intérêt (RIASEC)",
    "description": (
        "48 activités : indiquez pour chacune si vous aimeriez la pratiquer dans votre travail, sans vous "
        "demander si vous en êtes capable. Il n'y a pas de bonne ou de mauvaise réponse. Le résultat donne "
        "vos six scores d'intérêts et votre code de Holland en trois lettres, rapproché des codes RIASEC "
        "des métiers du ROME."
    ),
    "minutes": 10,
    "action_code": "assessment_interests",
    "scales": {SCALE: LIKING_5},
    "dimensions": {"R": "Réaliste", "I": "Investigateur", "A": "Artistique", "S": "Social", "E": "Entreprenant", "C": "Conventionnel"},
    "scoring": {"method": "dimensions", "holland": True},
    "sections": [
        {"id": letter, "title": title, "items": items(letter, letter, SCALE, texts)} for letter, title, texts in SECTIONS
    ],
}
