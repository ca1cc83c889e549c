"""Shared pieces of instrument definitions (scales)."""

AGREEMENT_5 = {
    "type": "likert",
    "min": 1,
    "max": 5,
    "labels": ["Pas du tout d'accord", "Plutôt pas d'accord", "Ni d'accord ni pas d'accord", "Plutôt d'accord", "Tout à fait d'accord"],
}
LIKING_5 = {
    "type": "likert",
    "min": 1,
    "max": 5,
    "labels": ["Je n'aimerais pas du tout", "Je n'aimerais pas", "Indifférent", "J'aimerais", "J'aimerais beaucoup"],
}
IMPORTANCE_5 = {
    "type": "likert",
    "min": 1,
    "max": 5,
    "labels": ["Pas important", "Peu important", "Assez important", "Important", "Essentiel"],
}
MATURITY_5 = {
    "type": "likert",
    "min": 1,
    "max": 5,
    "labels": ["Pas du tout", "Un peu", "À moitié", "Largement", "Complètement"],
}


def items(prefix: str, dimension: str, scale: str, texts: list, reverse: tuple[int, ...] = ()) -> list[dict]:
    """Item dicts ``{id, text, scale, dimension, reverse}`` numbered from 1 (``reverse``: 1-based numbers)."""
    return [
        {"id": f"{prefix}{number:02d}", "text": text, "scale": scale, "dimension": dimension, "reverse": number in reverse}
        for number, text in enumerate(texts, start=1)
    ]
