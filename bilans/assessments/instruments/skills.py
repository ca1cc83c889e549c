"""Skills self-assessment from the ROME: the beneficiary picks past and current métiers, then
rates each of their competences; the consultant reviews each rating (both views are kept)."""

MASTERY = [("beginner", "Débutant"), ("intermediate", "Intermédiaire"), ("advanced", "Avancé"), ("expert", "Expert")]
FREQUENCY = [("never", "Jamais"), ("rarely", "Rarement"), ("sometimes", "Parfois"), ("often", "Souvent")]
CONTEXT = [("work", "Au travail"), ("training", "En formation"), ("personal", "Dans la vie personnelle")]
APPETITE = [("likes", "J'aime"), ("neutral", "Neutre"), ("dislikes", "Je n'aime pas")]
POTENTIAL = [("low", "Faible"), ("medium", "Moyen"), ("high", "Fort")]

DEFINITION = {
    "code": "skills",
    "version": 1,
    "kind": "skills",
    "title": "Autoévaluation des compétences (ROME)",
    "description": (
        "Choisissez vos métiers passés et actuel : la plateforme affiche leurs compétences selon le ROME. "
        "Pour chacune, indiquez votre niveau de maîtrise, la fréquence d'utilisation, où vous l'avez acquise, "
        "si vous aimez l'exercer et votre marge de progression. Votre consultant relira vos réponses avec vous."
    ),
    "minutes": 25,
    "action_code": "assessment_skills",
    "max_occupations": 5,
    "fields": {
        "mastery": {"label": "Maîtrise", "choices": MASTERY, "required": True},
        "frequency": {"label": "Fréquence d'utilisation", "choices": FREQUENCY, "required": False},
        "context": {"label": "Acquise", "choices": CONTEXT, "required": False},
        "appetite": {"label": "Appétence", "choices": APPETITE, "required": False},
        "potential": {"label": "Potentiel de développement", "choices": POTENTIAL, "required": False},
    },
    "scoring": {"method": "skills"},
    "sections": [],
}
