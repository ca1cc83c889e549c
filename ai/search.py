"""Search of métiers by appellation: French full text on unaccented labels plus trigram word
similarity (typos), accent- and case-insensitive. Extensions unaccent and pg_trgm live in the
public schema (tenants migration 0002), which every organisation's search_path includes."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from ai.models import JobTitle, Occupation

MAX_QUERY_LENGTH = 100
WORD_SIMILARITY_THRESHOLD = 0.5


@dataclass(frozen=True)
class SearchHit:
    code_rome: str
    occupation_label: str
    job_title: str
    job_title_code: int
    is_principal: bool
    score: float


def normalise(text: str) -> str:
    return " ".join((text or "").split())[:MAX_QUERY_LENGTH]


def occupation_search(query: str, *, limit: int = 20, per_occupation: bool = True) -> list[SearchHit]:
    """Best appellations for ``query`` (one per métier when ``per_occupation``), best first.

    Score = max(full-text rank, trigram word similarity), a small bonus for the principal
    appellation and a bonus for close whole-label similarity (shorter, closer labels first); rows
    match when the French tsquery matches or the trigram word similarity reaches the threshold.
    """
    query = normalise(query)
    if len(query) < 2:
        return []
    limit = max(1, min(int(limit), 50))
    jt, occ = JobTitle._meta.db_table, Occupation._meta.db_table
    sql = f"""
        WITH q AS (
            SELECT lower(public.unaccent(%(q)s)) AS text,
                   plainto_tsquery('french', public.unaccent(%(q)s)) AS tsq
        ), hits AS (
            SELECT jt.code_ogr, jt.label, jt.is_principal, jt.occupation_id,
                   least(1.0, greatest(ts_rank(jt.search_vector, q.tsq) * 2, public.word_similarity(q.text, jt.search_text)))
                   + 0.2 * public.similarity(q.text, jt.search_text)
                   + CASE WHEN jt.is_principal THEN 0.05 ELSE 0 END AS score
            FROM {jt} jt, q
            WHERE jt.search_vector @@ q.tsq OR q.text OPERATOR(public.<%%) jt.search_text
        ), ranked AS (
            SELECT hits.*, row_number() OVER (PARTITION BY occupation_id ORDER BY score DESC, is_principal DESC, label) AS position
            FROM hits
        )
        SELECT r.occupation_id, o.label, r.label, r.code_ogr, r.is_principal, r.score
        FROM ranked r JOIN {occ} o ON o.code_rome = r.occupation_id
        WHERE %(all)s OR r.position = 1
        ORDER BY r.score DESC, r.is_principal DESC, r.label
        LIMIT %(limit)s
    """
    with connection.cursor() as cursor:
        # The <% operator (word similarity above this threshold) can use the trigram GIN index.
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [str(WORD_SIMILARITY_THRESHOLD)])
        cursor.execute(sql, {"q": query, "limit": limit, "all": not per_occupation})
        rows = cursor.fetchall()
    return [SearchHit(code, label, title, int(ogr), principal, round(float(score), 4)) for code, label, title, ogr, principal, score in rows]
