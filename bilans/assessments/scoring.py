"""Validation and scoring of answers: pure, deterministic functions of (definition, answers).

- Likert items: value in [min, max]; a reverse-keyed item counts ``min + max - value``.
- ``dimensions`` method: per dimension, raw sum, mean and a 0–100 score
  ``(mean - min) / (max - min) * 100`` over the answered items; RIASEC adds the Holland code
  (the three highest letters; ties keep the R-I-A-S-E-C order).
- ``values`` method: per value, 50 % the rating score (0–100) and 50 % the ranking score
  ``(n - rank) / (n - 1) * 100``; the ranking is kept.
- ``skills`` method: counts by mastery level; the ratings themselves are the result.
- 360° feedback: mean per competence over complete groups of 3 responses (never one person's
  answer, not even by difference between two publications).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from config.errors import InvalidInput

FEEDBACK_THRESHOLD = 3


def iter_items(definition: Mapping) -> Iterable[dict]:
    for section in definition.get("sections", []):
        yield from section["items"]


def item_scale(definition: Mapping, item: Mapping) -> dict:
    return definition["scales"][item["scale"]]


def validate_answer(definition: Mapping, item: Mapping, value):
    """The normalised answer to one item, or InvalidInput with a French message."""
    scale = item_scale(definition, item)
    kind = scale["type"]
    if kind == "likert":
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InvalidInput("Choisissez une des réponses proposées.", code="invalid_answer") from None
        if not scale["min"] <= number <= scale["max"]:
            raise InvalidInput("Choisissez une des réponses proposées.", code="invalid_answer")
        return number
    if kind == "choice":
        allowed = {option["value"] for option in scale["options"]}
        if value not in allowed:
            raise InvalidInput("Choisissez une des réponses proposées.", code="invalid_answer")
        return value
    if kind == "ranking":
        options = [option["value"] for option in item["options"]]
        if not isinstance(value, list | tuple) or sorted(value) != sorted(options):
            raise InvalidInput("Donnez un rang différent à chaque proposition, de 1 à %d." % len(options), code="invalid_ranking")
        return list(value)
    if kind == "text":
        text = str(value or "").strip()
        if len(text) > scale.get("max_length", 2000):
            raise InvalidInput("Votre réponse est trop longue.", code="answer_too_long")
        return text
    raise InvalidInput("Type de question inconnu.", code="invalid_scale")


def is_required(item: Mapping) -> bool:
    return not item.get("optional", False)


def missing_items(definition: Mapping, answers: Mapping) -> list[str]:
    return [item["id"] for item in iter_items(definition) if is_required(item) and answers.get(item["id"]) in (None, "", [])]


def keyed_value(scale: Mapping, value: int, reverse: bool) -> int:
    return scale["min"] + scale["max"] - value if reverse else value


def score_dimensions(definition: Mapping, answers: Mapping) -> dict[str, dict]:
    sums: dict[str, list] = {code: [] for code in definition.get("dimensions", {})}
    bounds: dict[str, tuple[int, int]] = {}
    for item in iter_items(definition):
        scale = item_scale(definition, item)
        if scale["type"] != "likert" or "dimension" not in item or answers.get(item["id"]) in (None, ""):
            continue
        value = keyed_value(scale, int(answers[item["id"]]), item.get("reverse", False))
        sums.setdefault(item["dimension"], []).append(value)
        bounds[item["dimension"]] = (scale["min"], scale["max"])
    result = {}
    for code, values in sums.items():
        if not values:
            result[code] = {"raw": 0, "mean": None, "score": None, "answered": 0}
            continue
        low, high = bounds[code]
        mean = sum(values) / len(values)
        result[code] = {
            "raw": sum(values),
            "mean": round(mean, 4),
            "score": round((mean - low) / (high - low) * 100, 1),
            "answered": len(values),
        }
    return result


def holland_code(scores: Mapping[str, float | None], letters: str = "RIASEC") -> str:
    ordered = sorted(letters, key=lambda letter: (-(scores.get(letter) or 0), letters.index(letter)))
    return "".join(ordered[:3])


def score_values(definition: Mapping, answers: Mapping) -> dict:
    dimensions = score_dimensions(definition, answers)
    ranking_id = definition["scoring"]["ranking_item"]
    ranking = list(answers.get(ranking_id) or [])
    n = len(ranking)
    for code, data in dimensions.items():
        rank = ranking.index(code) + 1 if code in ranking else None
        rank_score = (n - rank) / (n - 1) * 100 if rank and n > 1 else None
        data["rank"] = rank
        data["rank_score"] = None if rank_score is None else round(rank_score, 1)
        parts = [part for part in (data["score"], rank_score) if part is not None]
        data["score"] = round(sum(parts) / len(parts), 1) if parts else None
    return {"dimensions": dimensions, "ranking": ranking}


def score_skills(definition: Mapping, answers: Mapping) -> dict:
    ratings = answers.get("ratings", {})
    levels = [code for code, _ in definition["fields"]["mastery"]["choices"]]
    counts = {level: 0 for level in levels}
    for rating in ratings.values():
        if rating.get("mastery") in counts:
            counts[rating["mastery"]] += 1
    return {"rated": sum(counts.values()), "by_mastery": counts, "occupations": [o["code"] for o in answers.get("occupations", [])]}


def score(definition: Mapping, answers: Mapping) -> dict:
    """The result document of an instrument for complete answers."""
    method = definition["scoring"]["method"]
    if method == "dimensions":
        dimensions = score_dimensions(definition, answers)
        result = {"dimensions": dimensions}
        if definition["scoring"].get("holland"):
            result["holland_code"] = holland_code({code: d["score"] for code, d in dimensions.items()})
        return result
    if method == "values":
        return score_values(definition, answers)
    if method == "skills":
        return score_skills(definition, answers)
    raise InvalidInput("Méthode de calcul inconnue.", code="invalid_scoring")


def aggregate_feedback(competences: Iterable[str], responses: Iterable[Mapping[str, int]], threshold: int = FEEDBACK_THRESHOLD) -> dict:
    """Mean rating per competence, published by complete groups of ``threshold`` answers.

    ``responses`` come in submission order (groups of ``threshold`` answers in order; the order
    inside a group only has to be stable). Only the first ``threshold * k`` answers count
    (``k = n // threshold``), and for each competence only the first ``threshold * j`` ratings of
    those (``j = ratings // threshold``; a competence some people skipped). So a new answer changes
    nothing until a whole group is complete, two successive publications differ by at least
    ``threshold`` answers, and no one's answer can be derived by difference (``4·m4 − 3·m3``).
    ``count`` and each competence's ``count`` are the numbers taken into account (multiples of
    ``threshold``, 0 when hidden), never the live number of answers."""
    responses = list(responses)
    included = responses[: len(responses) // threshold * threshold]
    if not included:
        return {"published": False, "count": 0, "threshold": threshold, "means": {}}
    means = {}
    for code in competences:
        values = [int(r[code]) for r in included if r.get(code) not in (None, "")]
        values = values[: len(values) // threshold * threshold]  # below the threshold: hidden as well
        means[code] = {"mean": round(sum(values) / len(values), 2) if values else None, "count": len(values)}
    return {"published": True, "count": len(included), "threshold": threshold, "means": means}
