"""Scoring of each instrument on hand-computed examples (pure functions, no database)."""
from __future__ import annotations

import pytest

from bilans.assessments import scoring
from bilans.assessments.instruments import DEFINITIONS
from config.errors import InvalidInput

RIASEC = DEFINITIONS["riasec"]
BIG_FIVE = DEFINITIONS["big_five"]
VALUES = DEFINITIONS["values"]
PRIMO = DEFINITIONS["primo360"]


def test_instruments_have_the_required_sizes():
    assert len(list(scoring.iter_items(RIASEC))) == 48
    assert {item["dimension"] for item in scoring.iter_items(RIASEC)} == set("RIASEC")
    big_five = list(scoring.iter_items(BIG_FIVE))
    assert len(big_five) == 50
    assert {d: sum(1 for i in big_five if i["dimension"] == d) for d in "EACNO"} == {d: 10 for d in "EACNO"}
    assert sum(1 for i in big_five if i["reverse"]) == 24  # IPIP keying: E 5, A 4, C 4, N 8, O 3
    assert len(VALUES["dimensions"]) == 6
    assert len(PRIMO["dimensions"]) == 8


def test_riasec_scores_and_holland_code():
    per_letter = {"R": 5, "I": 4, "A": 1, "S": 3, "E": 2, "C": 4}
    answers = {item["id"]: per_letter[item["dimension"]] for item in scoring.iter_items(RIASEC)}
    result = scoring.score(RIASEC, answers)
    scores = {letter: d["score"] for letter, d in result["dimensions"].items()}
    # mean 5 -> 100, 4 -> 75, 3 -> 50, 2 -> 25, 1 -> 0
    assert scores == {"R": 100.0, "I": 75.0, "A": 0.0, "S": 50.0, "E": 25.0, "C": 75.0}
    assert result["dimensions"]["R"]["raw"] == 40
    assert result["holland_code"] == "RIC"  # I and C tie: R-I-A-S-E-C order


def test_big_five_reverse_keying():
    answers = {item["id"]: 4 for item in scoring.iter_items(BIG_FIVE)}
    dims = scoring.score(BIG_FIVE, answers)["dimensions"]
    # E: 5 items at 4 + 5 reverse-keyed at 6-4=2 -> 30, mean 3.0 -> 50
    assert (dims["E"]["raw"], dims["E"]["score"]) == (30, 50.0)
    # A and C: 6 x 4 + 4 x 2 = 32, mean 3.2 -> 55
    assert (dims["A"]["raw"], dims["A"]["score"]) == (32, 55.0)
    assert (dims["C"]["raw"], dims["C"]["score"]) == (32, 55.0)
    # emotional stability: 2 x 4 + 8 x 2 = 24, mean 2.4 -> 35
    assert (dims["N"]["raw"], dims["N"]["score"]) == (24, 35.0)
    # openness: 7 x 4 + 3 x 2 = 34, mean 3.4 -> 60
    assert (dims["O"]["raw"], dims["O"]["score"]) == (34, 60.0)


def test_big_five_single_reverse_item():
    # "Je parle peu" (B06, extraversion, reverse-keyed) answered 1 counts 5.
    answers = {"B06": 1}
    dims = scoring.score_dimensions(BIG_FIVE, answers)
    assert dims["E"] == {"raw": 5, "mean": 5.0, "score": 100.0, "answered": 1}


def test_values_mix_rating_and_ranking():
    ratings = {
        "achievement": (5, 5), "independence": (4, 4), "recognition": (3, 3),
        "relationships": (2, 2), "support": (1, 1), "working_conditions": (5, 3),
    }
    answers = {}
    seen: dict[str, int] = {}
    for item in VALUES["sections"][0]["items"]:  # two statements per value, in order
        index = seen.get(item["dimension"], 0)
        answers[item["id"]] = ratings[item["dimension"]][index]
        seen[item["dimension"]] = index + 1
    answers["V_RANK"] = ["independence", "achievement", "working_conditions", "relationships", "recognition", "support"]
    result = scoring.score(VALUES, answers)
    scores = {code: d["score"] for code, d in result["dimensions"].items()}
    # rating score / ranking score ((6 - rank) / 5 * 100), averaged
    assert scores == {
        "achievement": 90.0,  # (100 + 80) / 2
        "independence": 87.5,  # (75 + 100) / 2
        "recognition": 35.0,  # (50 + 20) / 2
        "relationships": 32.5,  # (25 + 40) / 2
        "support": 0.0,  # (0 + 0) / 2
        "working_conditions": 67.5,  # (75 + 60) / 2
    }
    assert result["dimensions"]["independence"]["rank"] == 1


def test_primo360_domains_and_optional_free_text():
    answers = {item["id"]: 3 for item in scoring.iter_items(PRIMO) if item["scale"] == "maturite"}
    assert scoring.missing_items(PRIMO, answers) == ["horizon"]  # the free text is optional
    answers["job_1"], answers["job_2"], answers["job_3"] = 5, 5, 2
    answers["horizon"] = "1y"
    assert scoring.missing_items(PRIMO, answers) == []
    dims = scoring.score(PRIMO, answers)["dimensions"]
    assert dims["job"]["score"] == 75.0  # mean 4
    assert dims["housing"]["score"] == 50.0


def test_answer_validation():
    item = next(scoring.iter_items(RIASEC))
    assert scoring.validate_answer(RIASEC, item, "5") == 5
    for bad in ("6", "0", "abc", None):
        with pytest.raises(InvalidInput):
            scoring.validate_answer(RIASEC, item, bad)
    ranking = VALUES["sections"][1]["items"][0]
    with pytest.raises(InvalidInput):
        scoring.validate_answer(VALUES, ranking, ["achievement"] * 6)
    horizon = PRIMO["sections"][-1]["items"][0]
    with pytest.raises(InvalidInput):
        scoring.validate_answer(PRIMO, horizon, "demain")
    assert scoring.validate_answer(PRIMO, horizon, "6m") == "6m"


def test_feedback_is_published_only_from_three_responses():
    two = [{"1": 4, "2": 5}, {"1": 2, "2": 3}]
    assert scoring.aggregate_feedback(["1", "2"], two) == {"published": False, "count": 0, "threshold": 3, "means": {}}
    three = two + [{"1": 3}]
    result = scoring.aggregate_feedback(["1", "2"], three)
    assert result["published"] is True
    assert result["means"]["1"] == {"mean": 3.0, "count": 3}
    # competence 2 was rated by two people only: hidden as well, without its count
    assert result["means"]["2"] == {"mean": None, "count": 0}


def test_feedback_is_published_by_complete_groups_of_three_so_no_answer_can_be_derived():
    """A 4th or 5th answer changes nothing (else new = 4·m4 − 3·m3); the 6th publishes all six."""
    three = [{"1": 4, "2": 5}, {"1": 2, "2": 3}, {"1": 3, "2": 4}]
    first = scoring.aggregate_feedback(["1", "2"], three)
    assert first == {"published": True, "count": 3, "threshold": 3, "means": {"1": {"mean": 3.0, "count": 3}, "2": {"mean": 4.0, "count": 3}}}
    four = three + [{"1": 5, "2": 1}]
    five = four + [{"1": 1, "2": 1}]
    assert scoring.aggregate_feedback(["1", "2"], four) == first
    assert scoring.aggregate_feedback(["1", "2"], five) == first
    six = five + [{"1": 3}]
    result = scoring.aggregate_feedback(["1", "2"], six)
    assert result["count"] == 6
    assert result["means"]["1"] == {"mean": 3.0, "count": 6}  # (4 + 2 + 3 + 5 + 1 + 3) / 6
    # competence 2 has five ratings: only the first three count until a sixth one arrives
    assert result["means"]["2"] == {"mean": 4.0, "count": 3}
    seven = six + [{"2": 2}]
    assert scoring.aggregate_feedback(["1", "2"], seven) == result  # the 7th answer waits for its group
    nine = seven + [{"1": 4, "2": 2}, {"1": 2}]
    result = scoring.aggregate_feedback(["1", "2"], nine)
    assert result["count"] == 9 and result["means"]["1"] == {"mean": 3.0, "count": 6}  # 8 ratings: the first 6
    assert result["means"]["2"] == {"mean": round((5 + 3 + 4 + 1 + 1 + 2) / 6, 2), "count": 6}
    for published in (first, result):
        assert published["count"] % 3 == 0 and all(m["count"] % 3 == 0 for m in published["means"].values())


def test_scoring_is_deterministic():
    answers = {item["id"]: (index % 5) + 1 for index, item in enumerate(scoring.iter_items(BIG_FIVE))}
    assert scoring.score(BIG_FIVE, answers) == scoring.score(BIG_FIVE, dict(reversed(list(answers.items()))))
