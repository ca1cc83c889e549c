"""Career matching: hand-computed scores and gap matrices, then the real ROME."""
from __future__ import annotations

from ai.matching import (
    Gap,
    OccupationFacts,
    Profile,
    Referential,
    SkillRating,
    compare,
    load_referential,
    match_occupation,
    rank,
)


def small_referential() -> Referential:
    occupations = {
        "A0001": OccupationFacts("A0001", "Métier A", (1, 2, 3, 4), "I", "C", domain="A11"),
        "B0001": OccupationFacts("B0001", "Métier B", (3, 5, 6), "R", "", executive=True, domain="B11"),
        "A0002": OccupationFacts("A0002", "Métier C", (7, 8), "S", "", domain="A11"),
    }
    return Referential(version=1, occupations=occupations, mobility={"A0001": {"B0001": 1}})


PROFILE = Profile(
    skills={
        1: SkillRating("expert", "likes"),  # 1.0
        2: SkillRating("advanced", "neutral"),  # 0.75 x 0.8 = 0.6
        3: SkillRating("beginner", "neutral"),  # 0.25 x 0.8 = 0.2
    },
    riasec={"R": 20, "I": 80, "A": 0, "S": 10, "E": 0, "C": 50},
    current_occupations=("A0001",),
)


def test_hand_computed_ranking_breakdown_and_gap():
    matches = rank(PROFILE, small_referential())
    assert [m.code for m in matches] == ["A0001", "B0001", "A0002"]
    a, b, c = matches
    # A: competences (1 + 0.6 + 0.2 + 0) / 4 = 45; RIASEC 0.7 x 80 + 0.3 x 50 = 71; current métier 100
    assert (a.competences, a.riasec, a.mobility) == (45.0, 71.0, 100.0)
    assert a.score == 63.8  # 0.5 x 45 + 0.3 x 71 + 0.2 x 100
    assert a.gap == Gap(held=(1, 2), partial=(3,), missing=(4,))
    # B: competences 0.2 / 3 = 6.67; RIASEC R 20; ROME mobility rank 1 -> 90
    assert (b.competences, b.riasec, b.mobility) == (6.7, 20.0, 90.0)
    assert b.score == 27.3  # 3.33 + 6 + 18
    assert b.gap == Gap(held=(), partial=(3,), missing=(5, 6))
    # C: nothing held; RIASEC S 10; same professional domain -> 30
    assert (c.competences, c.riasec, c.mobility, c.score) == (0.0, 10.0, 30.0, 9.0)
    assert c.gap == Gap(held=(), partial=(), missing=(7, 8))
    assert a.reasons[0].startswith("Compétences : vous en avez 3 sur 4 (2 maîtrisées, 1 en partie) ; 1 à acquérir.")
    assert "c'est votre métier actuel" in a.reasons[2]


def test_missing_components_are_left_out_and_weights_renormalised():
    profile = Profile(riasec={"I": 80, "C": 50})
    match = match_occupation(profile, small_referential().occupations["A0001"], small_referential())
    assert (match.competences, match.mobility) == (None, None)
    assert match.score == 71.0


def test_constraints_filter_metiers():
    executive_only = Profile(skills=PROFILE.skills, riasec=PROFILE.riasec, executive=True)
    assert [m.code for m in rank(executive_only, small_referential())] == ["B0001"]


def test_weighted_comparison():
    assert compare([{"a": 100, "b": 0}, {"a": 0, "b": 100}], {"a": 3, "b": 1}) == [75.0, 25.0]
    assert compare([{"a": 50}], {}) == [0.0]


def test_real_rome_ranks_the_obvious_metier_first_with_an_exact_gap(rome):
    referential = load_referential()
    developer = referential.occupations["M1805"]
    assert len(referential.occupations) == 1584
    skills = sorted(developer.skills)
    profile = Profile(skills={code: SkillRating("expert", "likes") for code in skills}, riasec={"I": 90, "C": 70, "R": 10, "A": 30, "S": 20, "E": 30})
    ranking = rank(profile, referential)
    assert len(ranking) == 1584
    assert ranking[0].code == "M1805"
    assert ranking[0].gap == Gap(held=tuple(skills), partial=(), missing=())
    assert ranking[0].competences == 100.0

    partial_profile = Profile(
        skills={**{c: SkillRating("expert") for c in skills[:10]}, **{c: SkillRating("intermediate") for c in skills[10:15]}},
        riasec=profile.riasec,
    )
    match = match_occupation(partial_profile, developer, referential)
    assert match.gap == Gap(held=tuple(skills[:10]), partial=tuple(skills[10:15]), missing=tuple(skills[15:]))


def test_work_values_add_reasons_but_never_change_the_score():
    from dataclasses import replace

    referential = small_referential()
    night = replace(referential.occupations["A0001"], contexts=frozenset({"Travail de nuit", "Travail le dimanche", "Travailleur indépendant"}))
    with_values = replace(PROFILE, values_ranking=("working_conditions", "independence", "achievement"))
    plain = match_occupation(PROFILE, night, referential)
    valued = match_occupation(with_values, night, referential)
    assert valued.score == plain.score == 63.8
    assert valued.reasons[:3] == plain.reasons
    assert valued.reasons[3] == "Valeurs : les conditions de travail comptent beaucoup pour vous ; ce métier peut demander : travail de nuit, travail le dimanche."
    assert valued.reasons[4] == "Valeurs : l'autonomie compte beaucoup pour vous ; ce métier s'exerce aussi à son compte."
    third = replace(PROFILE, values_ranking=("achievement", "recognition", "working_conditions"))
    assert match_occupation(third, night, referential).reasons == plain.reasons  # only the first two values count
