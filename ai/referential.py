"""Loading the ROME 4.0 referential shipped in ``ai/data/rome-v<version>/`` (gzip CSV).

``rome_import()`` is idempotent: when the loaded version and the files' checksum are unchanged it
does nothing; otherwise (a newer version, or ``force``) it replaces every ROME table in one
transaction, with PostgreSQL COPY (about 190,000 rows). An older version never replaces a newer one.
No HTTP here: the command and ``serve`` call it.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction

from ai import models as m
from config.errors import Conflict, InvalidInput

logger = logging.getLogger(__name__)

DATA_ROOT = Path(__file__).resolve().parent / "data"
_VERSION_DIR = re.compile(r"^rome-v(\d+)$")

# Child tables first (TRUNCATE ... CASCADE handles the order anyway).
ROME_MODELS = [
    m.Mobility,
    m.OccupationInterest,
    m.OccupationSector,
    m.OccupationContext,
    m.OccupationKnowledge,
    m.OccupationSkill,
    m.JobTitle,
    m.Occupation,
    m.ProfessionalDomain,
    m.GrandDomain,
    m.Skill,
    m.Knowledge,
    m.WorkContext,
    m.Sector,
    m.InterestCentre,
]


@dataclass
class ImportReport:
    version: int
    changed: bool
    counts: dict[str, int] = field(default_factory=dict)
    message: str = ""


def available_versions(root: Path = DATA_ROOT) -> dict[int, Path]:
    versions = {}
    if root.is_dir():
        for child in root.iterdir():
            match = _VERSION_DIR.match(child.name)
            if match and child.is_dir():
                versions[int(match.group(1))] = child
    return versions


def latest_data_dir(root: Path = DATA_ROOT) -> tuple[int, Path]:
    versions = available_versions(root)
    if not versions:
        raise InvalidInput("Aucune donnée ROME trouvée.", code="rome_data_missing")
    version = max(versions)
    return version, versions[version]


def current_version() -> m.RomeVersion | None:
    return m.RomeVersion.objects.order_by("-version").first()


def is_loaded() -> bool:
    return m.Occupation.objects.exists()


# --- reading the files -------------------------------------------------------------------------
def undouble_apostrophes(value):
    """The source files escape apostrophes SQL-style ("d''exploitation"): keep single ones."""
    return value.replace("''", "'") if isinstance(value, str) else value


class _Files:
    def __init__(self, directory: Path, version: int):
        self.directory = directory
        self.version = version

    def path(self, name: str) -> Path:
        for candidate in (f"unix_{name}_v{self.version}_utf8.csv.gz", f"unix_{name}_v{self.version}_utf8.csv"):
            path = self.directory / candidate
            if path.exists():
                return path
        raise InvalidInput(f"Fichier ROME manquant : {name} (v{self.version}).", code="rome_file_missing")

    def rows(self, name: str) -> Iterator[dict[str, str]]:
        path = self.path(name)
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                yield {key: undouble_apostrophes(value) for key, value in row.items()}

    def checksum(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.directory.glob("unix_*")):
            digest.update(path.name.encode())
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rb") as handle:  # checksum of the content, not of the compression
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        return digest.hexdigest()


def _yes(value: str) -> bool:
    return value.strip().upper() in ("O", "OUI", "Y")


def _int(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value else None


def _copy(model, columns: list[str], rows: Iterable[tuple]) -> int:
    table = model._meta.db_table
    count = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


# --- import ------------------------------------------------------------------------------------
def rome_import(*, directory: Path | None = None, version: int | None = None, force: bool = False) -> ImportReport:
    """Load the referential (the newest shipped version by default). Idempotent."""
    if directory is None:
        version, directory = latest_data_dir() if version is None else (version, available_versions()[version])
    elif version is None:
        match = _VERSION_DIR.match(directory.name)
        if not match:
            raise InvalidInput("Le dossier doit s'appeler rome-v<version>.", code="rome_bad_directory")
        version = int(match.group(1))
    files = _Files(directory, version)
    checksum = files.checksum()
    current = current_version()
    if current is not None and is_loaded():
        if current.version > version:
            raise Conflict(
                f"La version {current.version} du ROME est déjà chargée ; la version {version} est plus ancienne.",
                code="rome_older_version",
            )
        if current.version == version and current.checksum == checksum and not force:
            return ImportReport(version=version, changed=False, counts=current.counts, message="Référentiel déjà à jour.")
    with transaction.atomic():
        counts = _load(files)
        m.RomeVersion.objects.all().delete()
        m.RomeVersion.objects.create(version=version, checksum=checksum, counts=counts)
    logger.info("ROME v%s imported: %s", version, counts)
    return ImportReport(version=version, changed=True, counts=counts, message=f"ROME v{version} importé.")


def _load(files: _Files) -> dict[str, int]:
    tables = ", ".join(f'"{model._meta.db_table}"' for model in ROME_MODELS)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")
    counts: dict[str, int] = {}

    # Tree: grand domains > professional domains > fiches.
    counts["grand_domains"] = _copy(
        m.GrandDomain, ["code", "label"], ((r["code_grand_domaine"], r["libelle_grand_domaine"]) for r in files.rows("grand_domaine"))
    )
    domain_rows = list(files.rows("domaine_professionnel"))
    counts["domains"] = _copy(
        m.ProfessionalDomain,
        ["code", "label", "grand_domain_id"],
        ((r["code_domaine_professionnel"], r["libelle_domaine_professionnel"], r["code_domaine_professionnel"][0]) for r in domain_rows),
    )
    domain_of = {r["code_rome"]: r["code_domaine_professionel"] for r in files.rows("cr_gd_dp")}
    riasec = {r["code_rome"]: (r["riasec_majeur"], r["riasec_mineur"]) for r in files.rows("referentiel_code_rome_riasec")}
    texts: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for r in files.rows("texte"):
        texts.setdefault((r["code_rome"], r["libelle_type_texte"]), []).append((int(r["position_phrase"] or 0), r["libelle_texte"]))

    def text(code: str, kind: str) -> str:
        return "\n".join(sentence for _, sentence in sorted(texts.get((code, kind), [])))

    occupations = list(files.rows("referentiel_code_rome"))
    codes = {r["code_rome"] for r in occupations}
    counts["occupations"] = _copy(
        m.Occupation,
        [
            "code_rome", "code_ogr", "label", "domain_id", "parent_code", "transition_eco", "transition_num",
            "transition_demo", "regulated", "executive", "riasec_major", "riasec_minor", "definition", "access",
        ],
        (
            (
                r["code_rome"], int(r["code_ogr"]), r["libelle_rome"], domain_of.get(r["code_rome"]) or None,
                r["code_rome_parent"], r["transition_eco"], _yes(r["transition_num"]), _yes(r["transition_demo"]),
                _yes(r["emploi_reglemente"]), _yes(r["emploi_cadre"]), *riasec.get(r["code_rome"], ("", "")),
                text(r["code_rome"], "definition"), text(r["code_rome"], "acces_metier"),
            )
            for r in occupations
        ),
    )
    counts["job_titles"] = _copy(
        m.JobTitle,
        ["code_ogr", "occupation_id", "label", "short_label", "is_principal", "executive", "rarely_used", "search_text"],
        (
            (
                int(r["code_ogr"]), r["code_rome"], r["libelle_appellation_long"], r["libelle_appellation_court"],
                r["classification"] == "PRINCIPALE", _yes(r["emploi_cadre"]), _yes(r["peu_usite"]), "",
            )
            for r in files.rows("referentiel_appellation")
            if r["code_rome"] in codes
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {m.JobTitle._meta.db_table} SET search_text = lower(public.unaccent(label)), "
            "search_vector = to_tsvector('french', public.unaccent(label))"
        )

    # Competences (savoir-faire, savoir-être), with the RIASEC letters of macro-competences.
    macro_riasec = {r["code_ogr"]: (r["riasec_majeur"], r["riasec_mineur"]) for r in files.rows("referentiel_macro_competence_riasec")}
    skills = list(files.rows("referentiel_competence"))
    skill_codes = {int(r["code_ogr"]) for r in skills}
    counts["skills"] = _copy(
        m.Skill,
        [
            "code_ogr", "label", "definition", "is_macro", "category", "subcategory", "macro_code",
            "riasec_major", "riasec_minor", "transition_eco", "transition_num",
        ],
        (
            (
                int(r["code_ogr"]), r["libelle_competence"], r["definition"], r["nature"] == "Macro-compétence",
                "savoir_etre" if r["cat_comp"].startswith("Savoir-être") else "savoir_faire", r["sous_cat_comp"],
                _int(r["code_ogr_macro_comp"]), *macro_riasec.get(r["code_ogr"], ("", "")),
                _yes(r["transition_eco"]), _yes(r["transition_num"]),
            )
            for r in skills
        ),
    )
    knowledge = list(files.rows("referentiel_savoir"))
    knowledge_codes = {int(r["code_ogr_savoir"]) for r in knowledge}
    counts["knowledge"] = _copy(
        m.Knowledge,
        ["code_ogr", "label", "category", "subcategory"],
        ((int(r["code_ogr_savoir"]), r["libelle_savoir"], r["categorie_savoir"], r["sous_categorie_savoir"]) for r in knowledge),
    )
    contexts = list(files.rows("referentiel_contexte_travail"))
    context_codes = {int(r["code_ogr"]) for r in contexts}
    counts["contexts"] = _copy(
        m.WorkContext,
        ["code_ogr", "label", "type_code", "type_label"],
        ((int(r["code_ogr"]), r["libelle_cont_travail"], r["code_type_cont_trav"], r["libelle_type_cont_trav"]) for r in contexts),
    )

    # Links métier -> competences / savoirs / contexts (bloc 5 rubriques 1, 2, 3; bloc 6).
    skill_links, knowledge_links, context_links = set(), set(), set()
    for r in files.rows("liens_rome_referentiels"):
        code, bloc, rubrique = r["code_rome"], r["code_compo_bloc"], r["code_rubrique"]
        if code not in codes:
            continue
        ogr = int(r["code_ogr"])
        if bloc == "5" and rubrique in ("1", "2") and ogr in skill_codes:
            skill_links.add((code, ogr, "savoir_etre" if rubrique == "2" else "savoir_faire"))
        elif bloc == "5" and rubrique == "3" and ogr in knowledge_codes:
            knowledge_links.add((code, ogr))
        elif bloc == "6" and ogr in context_codes:
            context_links.add((code, ogr))
    counts["occupation_skills"] = _copy(m.OccupationSkill, ["occupation_id", "skill_id", "category"], sorted(skill_links))
    counts["occupation_knowledge"] = _copy(m.OccupationKnowledge, ["occupation_id", "knowledge_id"], sorted(knowledge_links))
    counts["occupation_contexts"] = _copy(m.OccupationContext, ["occupation_id", "context_id"], sorted(context_links))

    # Sectors and sub-sectors, and which métiers belong to them.
    sectors = [(r["code_sect_activite"], r["libelle_sect_activite"], r["definition_sect_activite"], None) for r in files.rows("secteur_activite")]
    sub_sectors = [
        (r["code_ss_sect_activite"], r["libelle_ss_sect_activite"], r["definition_ss_sect_activite"], r["code_sect_activite"])
        for r in files.rows("sous_secteur_activite")
    ]
    counts["sectors"] = _copy(m.Sector, ["code", "label", "definition", "parent_id"], sectors + sub_sectors)
    sector_links: dict[tuple[str, str], bool] = {}
    for r in files.rows("arborescence_secteur_activite"):
        if r["code_rome"] not in codes:
            continue
        sector = r["code_ss_sect_activite"] or r["code_sect_activite"]
        key = (r["code_rome"], sector)
        sector_links[key] = sector_links.get(key, False) or r["principal"] == "oui"
    counts["occupation_sectors"] = _copy(
        m.OccupationSector, ["occupation_id", "sector_id", "principal"], sorted((o, s, p) for (o, s), p in sector_links.items())
    )

    counts["interest_centres"] = _copy(
        m.InterestCentre,
        ["code", "label", "definition"],
        ((r["code_centre_interet"], r["libelle_centre_interet"], r["definition_centre_interet"]) for r in files.rows("centre_interet")),
    )
    interest_links: dict[tuple[str, str], bool] = {}
    for r in files.rows("arborescence_centre_interet"):
        if r["code_rome"] in codes:
            key = (r["code_rome"], r["code_centre_interet"])
            interest_links[key] = interest_links.get(key, False) or r["principal"] == "oui"
    counts["occupation_interests"] = _copy(
        m.OccupationInterest, ["occupation_id", "centre_id", "principal"], sorted((o, c, p) for (o, c), p in interest_links.items())
    )

    mobility: dict[tuple[str, str], int] = {}
    for r in files.rows("rubrique_mobilite"):
        source, target = r["code_rome"], r["code_rome_cible"]
        if source in codes and target in codes and source != target:
            rank = int(r["numero_ordre"] or 99)
            mobility[(source, target)] = min(rank, mobility.get((source, target), rank))
    counts["mobilities"] = _copy(m.Mobility, ["source_id", "target_id", "rank"], sorted((s, t, r) for (s, t), r in mobility.items()))

    with connection.cursor() as cursor:
        for model in ROME_MODELS:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    return counts


def rome_counts() -> dict[str, int]:
    """Row counts of every ROME table (tests, the command's summary)."""
    return {model._meta.model_name: model.objects.count() for model in ROME_MODELS}
