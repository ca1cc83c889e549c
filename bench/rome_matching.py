"""ROME 4.0: import time, career matching over all 1,584 métiers, and métier search latency.

Own database ``bilans_bench_rome`` (``BENCH_ROME_DATABASE_URL``), dropped and recreated at start:
migrates the public schema, imports the referential shipped in ai/data (timed, then a second,
idempotent run), loads the matching facts once, then:
- ranks every métier for one constructed profile (the competences of 3 métiers at mixed levels,
  a RIASEC profile, a current métier) ``--runs`` times: median and p95;
- runs ``--searches`` appellation searches (exact, without accents, with typos, synonyms) in
  turn: median and p95 per query kind.

    .venv/bin/python bench/rome_matching.py [--quick] [--runs 200] [--searches 400] [--keep]
"""
from __future__ import annotations

import argparse
import os
import time

import _common as c

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bilans_bench_rome"
QUERIES = {
    "exacte": ["développeur informatique", "boulanger", "aide-soignant", "comptable", "infirmier"],
    "sans accents": ["developpeur", "electricien", "secretaire medicale", "educateur specialise", "menuisier"],
    "faute de frappe": ["dévelopeur", "boulangé", "plombié", "comptabel", "chaufeur poids lourd"],
    "synonyme": ["analyste developpeur", "webmaster", "chef de rayon", "agent de sécurité", "assistante maternelle"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions (smoke test)")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--searches", type=int, default=400)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.searches = 10, 40

    os.environ["BENCH_DATABASE_URL"] = os.environ.get("BENCH_ROME_DATABASE_URL", DEFAULT_URL)
    url = c.bench_database_url()
    c.django_setup(url)
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            c.database_drop(url)


def run(args) -> None:
    from ai.matching import Profile, SkillRating, load_referential, rank
    from ai.referential import rome_counts, rome_import
    from ai.search import occupation_search

    with c.stopwatch() as first:
        report = rome_import()
    with c.stopwatch() as second:
        again = rome_import()
    assert report.changed and not again.changed
    counts = rome_counts()
    c.header(
        "ROME 4.0: matching and search",
        rome_version=report.version,
        occupations=counts["occupation"],
        competence_links=counts["occupationskill"],
        job_titles=counts["jobtitle"],
    )
    print(c.table(["import", "seconds"], [["first import (COPY, one transaction)", first()], ["second run (no change)", second()]]))

    with c.stopwatch() as loading:
        referential = load_referential()
    occupations = referential.occupations
    skills: dict[int, SkillRating] = {}
    levels = ["expert", "advanced", "intermediate", "beginner"]
    for number, code in enumerate(("M1805", "M1802", "K2111")):
        for index, skill in enumerate(occupations[code].skills):
            skills.setdefault(skill, SkillRating(levels[(index + number) % 4], ("likes", "neutral", "dislikes")[index % 3]))
    profile = Profile(
        skills=skills,
        riasec={"R": 15, "I": 85, "A": 40, "S": 55, "E": 30, "C": 65},
        current_occupations=("M1805",),
    )
    timings = []
    ranking = []
    for _ in range(args.runs):
        start = time.perf_counter()
        ranking = rank(profile, referential)
        timings.append(c.ms(time.perf_counter() - start))
    stats = c.summary(timings)
    print()
    print(f"loading the matching facts once (per process and ROME version): {c.ms(loading()):.0f} ms")
    print(
        c.table(
            ["ranking all métiers", "runs", "métiers", "median ms", "p95 ms", "max ms"],
            [["one profile, 3 métiers of competences", stats["n"], len(ranking), stats["median"], stats["p95"], stats["max"]]],
        )
    )
    print(f"top 3: {', '.join(f'{m.code} {m.score}' for m in ranking[:3])}")

    rows = []
    per_kind = max(1, args.searches // len(QUERIES))
    for kind, queries in QUERIES.items():
        latencies = []
        for index in range(per_kind):
            query = queries[index % len(queries)]
            start = time.perf_counter()
            hits = occupation_search(query, limit=20)
            latencies.append(c.ms(time.perf_counter() - start))
            assert hits, query
        summary = c.summary(latencies)
        rows.append([kind, summary["n"], summary["median"], summary["p95"], summary["max"]])
    print()
    print(c.table(["search (20 results)", "queries", "median ms", "p95 ms", "max ms"], rows))


if __name__ == "__main__":
    main()
