"""ROME 4.0 referential (France Travail open data), in the public schema, shared by every
organisation. Rows are keyed by ROME's own codes (``code_rome``, ``code_ogr``) so that tenant
data can refer to a métier or a competence by code, and a newer version keeps those references.

Loaded only by ``ai.referential.rome_import`` (``manage.py import_rome``); read-only otherwise.
"""
from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models

ROME_CREDIT = "Source : France Travail, ROME 4.0 (v{version})"


class RomeVersion(models.Model):
    """The loaded version of the referential (one row: the current one)."""

    version = models.PositiveIntegerField(unique=True)
    checksum = models.CharField(max_length=64)
    counts = models.JSONField(default=dict)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"ROME v{self.version}"

    @property
    def credit(self) -> str:
        return ROME_CREDIT.format(version=self.version)


class GrandDomain(models.Model):
    code = models.CharField(primary_key=True, max_length=1)
    label = models.CharField(max_length=255)

    class Meta:
        ordering = ["code"]


class ProfessionalDomain(models.Model):
    code = models.CharField(primary_key=True, max_length=3)
    label = models.CharField(max_length=255)
    grand_domain = models.ForeignKey(GrandDomain, on_delete=models.CASCADE, related_name="domains")

    class Meta:
        ordering = ["code"]


class Occupation(models.Model):
    """A fiche métier ROME."""

    code_rome = models.CharField(primary_key=True, max_length=5)
    code_ogr = models.PositiveIntegerField()
    label = models.CharField(max_length=255)
    domain = models.ForeignKey(ProfessionalDomain, null=True, on_delete=models.SET_NULL, related_name="occupations")
    parent_code = models.CharField(max_length=5, blank=True)
    transition_eco = models.CharField(max_length=80, blank=True)  # "Emploi Vert", "Emploi Blanc", ...
    transition_num = models.BooleanField(default=False)
    transition_demo = models.BooleanField(default=False)
    regulated = models.BooleanField(default=False)
    executive = models.BooleanField(default=False)
    riasec_major = models.CharField(max_length=1, blank=True)
    riasec_minor = models.CharField(max_length=1, blank=True)
    definition = models.TextField(blank=True)
    access = models.TextField(blank=True)

    class Meta:
        ordering = ["code_rome"]

    def __str__(self) -> str:
        return f"{self.code_rome} – {self.label}"

    @property
    def riasec_code(self) -> str:
        return f"{self.riasec_major}{self.riasec_minor}"

    @property
    def is_green(self) -> bool:
        return self.transition_eco in ("Emploi Vert", "Emploi stratégique pour la Transition écologique")


class JobTitle(models.Model):
    """An appellation (job title) of a métier: the principal one and its synonyms."""

    code_ogr = models.PositiveIntegerField(primary_key=True)
    occupation = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="job_titles")
    label = models.CharField(max_length=255)
    short_label = models.CharField(max_length=255, blank=True)
    is_principal = models.BooleanField(default=False)
    executive = models.BooleanField(default=False)
    rarely_used = models.BooleanField(default=False)
    # Filled by the import in SQL: lower(unaccent(label)) for trigrams, French tsvector.
    search_text = models.TextField(blank=True)
    search_vector = SearchVectorField(null=True)

    class Meta:
        ordering = ["label"]
        indexes = [
            GinIndex(fields=["search_vector"], name="ai_jobtitle_fts"),
            GinIndex(fields=["search_text"], name="ai_jobtitle_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return self.label


class Skill(models.Model):
    """A competence: savoir-faire or savoir-être professionnel (competence or macro-competence)."""

    class Category(models.TextChoices):
        KNOW_HOW = "savoir_faire", "Savoir-faire"
        SOFT = "savoir_etre", "Savoir-être professionnel"

    code_ogr = models.PositiveIntegerField(primary_key=True)
    label = models.CharField(max_length=500)
    definition = models.TextField(blank=True)
    is_macro = models.BooleanField(default=False)
    category = models.CharField(max_length=20, choices=Category.choices)
    subcategory = models.CharField(max_length=80, blank=True)
    macro_code = models.PositiveIntegerField(null=True, blank=True)
    riasec_major = models.CharField(max_length=1, blank=True)
    riasec_minor = models.CharField(max_length=1, blank=True)
    transition_eco = models.BooleanField(default=False)
    transition_num = models.BooleanField(default=False)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class Knowledge(models.Model):
    """A savoir (knowledge item)."""

    code_ogr = models.PositiveIntegerField(primary_key=True)
    label = models.CharField(max_length=500)
    category = models.CharField(max_length=120, blank=True)
    subcategory = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["label"]


class WorkContext(models.Model):
    code_ogr = models.PositiveIntegerField(primary_key=True)
    label = models.CharField(max_length=255)
    type_code = models.CharField(max_length=10, blank=True)
    type_label = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["type_code", "label"]


class Sector(models.Model):
    """Activity sector (secteur) or sub-sector (sous-secteur, with a parent)."""

    code = models.CharField(primary_key=True, max_length=10)
    label = models.CharField(max_length=255)
    definition = models.TextField(blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")

    class Meta:
        ordering = ["label"]


class InterestCentre(models.Model):
    code = models.CharField(primary_key=True, max_length=10)
    label = models.CharField(max_length=255)
    definition = models.TextField(blank=True)

    class Meta:
        ordering = ["label"]


class OccupationSkill(models.Model):
    occupation = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="skill_links")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="occupation_links")
    category = models.CharField(max_length=20, choices=Skill.Category.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["occupation", "skill"], name="ai_occupationskill_unique")]


class OccupationKnowledge(models.Model):
    occupation = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="knowledge_links")
    knowledge = models.ForeignKey(Knowledge, on_delete=models.CASCADE, related_name="occupation_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["occupation", "knowledge"], name="ai_occupationknowledge_unique")]


class OccupationContext(models.Model):
    occupation = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="context_links")
    context = models.ForeignKey(WorkContext, on_delete=models.CASCADE, related_name="occupation_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["occupation", "context"], name="ai_occupationcontext_unique")]


class OccupationSector(models.Model):
    occupation = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="sector_links")
    sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="occupation_links")
    principal = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["occupation", "sector"], name="ai_occupationsector_unique")]


class OccupationInterest(models.Model):
    occupation = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="interest_links")
    centre = models.ForeignKey(InterestCentre, on_delete=models.CASCADE, related_name="occupation_links")
    principal = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["occupation", "centre"], name="ai_occupationinterest_unique")]


class Mobility(models.Model):
    """A close métier (mobilité professionnelle): ``rank`` 1 is the closest."""

    source = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="mobilities")
    target = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["source", "rank"]
        constraints = [models.UniqueConstraint(fields=["source", "target"], name="ai_mobility_unique")]
