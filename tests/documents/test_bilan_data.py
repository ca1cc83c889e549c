"""The built-in provider composes documents from the bilan's structured data: objectives,
sessions, assessment results (charts) and career options."""
from __future__ import annotations

import io

import pytest
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from bilans.documents import rendering
from bilans.documents.selectors import bilan_data
from tests.documents.factories import bilan_for, drafted

pytestmark = pytest.mark.django_db


def _riasec_result(cast, bilan):
    from bilans.assessments import scoring, services
    from bilans.assessments.instruments import DEFINITIONS

    answers = {item["id"]: 5 if item["dimension"] in "IC" else 2 for item in scoring.iter_items(DEFINITIONS["riasec"])}
    with tenant_context(cast.organisation):
        assessment = services.assessment_assign(bilan=bilan, instrument_code="riasec", actor=cast.consultant)
        services.assessment_save(assessment=assessment, actor=cast.beneficiary_user, answers=answers)
        return services.assessment_submit(assessment=assessment, actor=cast.beneficiary_user)


def test_documents_use_objectives_assessments_and_career_options(cast_a):
    from bilans.assessments.models import CareerOption
    from bilans.models import Objective

    bilan = bilan_for(cast_a)
    _riasec_result(cast_a, bilan)
    with tenant_context(cast_a.organisation):
        Objective.objects.create(bilan=bilan, text="Trouver un métier plus proche des chiffres", position=1)
        CareerOption.objects.create(
            bilan=bilan, code_rome="M1204", label="Contrôleur de gestion", kind="main", match={"score": 78.5},
            advantages="Goût pour l'analyse et les chiffres.", created_by=cast_a.consultant,
        )
        data, entities = bilan_data(bilan)
    assert data["objectives"] == ["Trouver un métier plus proche des chiffres"]
    riasec = next(a for a in data["assessments"] if "RIASEC" in a["name"])
    assert {s["label"] for s in riasec["scores"]} >= {"Investigateur", "Conventionnel"} and "Code de Holland" in riasec["summary"]
    assert data["career_options"][0]["title"] == "Contrôleur de gestion"
    assert cast_a.beneficiary.email in entities["emails"] and cast_a.beneficiary.last_name in entities["names"]

    synthesis = drafted(cast_a, bilan, "synthesis")
    with tenant_context(cast_a.organisation):
        html = synthesis.versions.get().content_html
        assert "Contrôleur de gestion" in html and "Trouver un métier plus proche des chiffres" in html
        assert synthesis.charts and synthesis.charts[0]["labels"]
        pdf = rendering.render_pdf(synthesis, synthesis.versions.get())[0]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Investigateur" in text  # the SVG chart and its text equivalent
    options = drafted(cast_a, bilan, "career_options")
    with tenant_context(cast_a.organisation):
        assert "ROME M1204" in options.versions.get().content_html and "adéquation 78 %" in options.versions.get().content_html
