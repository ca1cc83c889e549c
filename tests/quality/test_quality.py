"""Qualiopi: indicators as data, coverage, registers, result indicators and the audit bundle."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pytest

from config.errors import InvalidInput


def test_indicators_and_applicability():
    """Q-04: 32 indicators, 3, 7, 8, 13, 14, 15, 16, 20, 28 and 29 do not apply to bilans de
    compétences, 22 are audited."""
    from bilans.quality.indicators import INDICATORS

    assert [i.number for i in INDICATORS] == list(range(1, 33))
    assert {i.number for i in INDICATORS if not i.applies_to_bc} == {3, 7, 8, 13, 14, 15, 16, 20, 28, 29}
    assert sum(i.applies_to_bc for i in INDICATORS) == 22


def test_result_indicators_from_real_data(worked_example):
    """Indicator 2: number of bilans, completion and abandonment rates, satisfaction rate."""
    from bilans.quality.selectors import result_figures

    figures = result_figures(start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert (figures["bilans_started"], figures["bilans_finished"], figures["bilans_abandoned"]) == (4, 2, 1)
    assert (figures["completion_rate"], figures["abandonment_rate"]) == (66.7, 33.3)
    assert (figures["satisfaction_answers"], figures["satisfaction_rate"], figures["satisfaction_mean"]) == (3, 66.7, 3.67)


def test_results_published_on_the_public_page_with_their_date(worked_example, in_a):
    """Indicator 2: published, dated, readable by anyone on the organisation's subdomain."""
    from bilans.quality.services import results_publish

    results_publish(actor=in_a.admin, start=date(2026, 1, 1), end=date(2026, 12, 31))
    page = in_a.client().get("/resultats/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "66,7" in text and "Publiés le" in text and "du 1 janvier 2026 au 31 décembre 2026" in text
    assert in_a.beneficiary.last_name not in text


def test_coverage_on_the_demo_organisation(worked_example, in_a):
    """Q-04: not-applicable indicators are shown as such; evidence from the platform covers
    indicators 4, 5, 9, 10, 18; registers and attachments cover the rest; missing ones say what to add."""
    from bilans.quality.selectors import coverage, coverage_summary
    from bilans.quality.services import complaint_close, complaint_record, evidence_attach, register_add, results_publish

    statuses = {s.indicator.number: s for s in coverage(start=date(2026, 1, 1), end=date(2026, 12, 31))}
    assert {n for n, s in statuses.items() if s.status == "not_applicable"} == {3, 7, 8, 13, 14, 15, 16, 20, 28, 29}
    for n in (4, 5, 9, 10, 18):
        assert statuses[n].status == "covered", n
    for n in (1, 17, 19, 21, 22, 23, 26, 32):
        assert statuses[n].status == "missing" and statuses[n].missing, n
    assert statuses[2].status == "partial"

    evidence_attach(actor=in_a.admin, indicator=1, title="Page d'offre", dated=date(2026, 1, 10))
    register_add(actor=in_a.admin, model="qualification", user=in_a.consultant, kind="diploma", title="Master de psychologie du travail")
    register_add(actor=in_a.admin, model="qualification", user=in_a.other_consultant, kind="test_accreditation", title="Habilitation MBTI")
    register_add(actor=in_a.admin, model="watch", kind="legal", dated=date(2026, 3, 1), source="Légifrance", summary="Décret 2026-127 : plafond CPF", action_taken="Devis mis à jour")
    register_add(actor=in_a.admin, model="partner", kind="disability", name="Cap emploi 75")
    complaint = complaint_record(actor=in_a.admin, received_on=date(2026, 6, 1), source="beneficiary", subject="Retard de rendez-vous", bilan=worked_example["bilans"][2])
    complaint_close(actor=in_a.admin, complaint=complaint, response="Excuses et nouveau créneau", closed_on=date(2026, 6, 3))
    register_add(actor=in_a.admin, model="action", title="Rappel SMS la veille", origin="complaint", complaint=complaint, decided_on=date(2026, 6, 5))
    results_publish(actor=in_a.admin, start=date(2026, 1, 1), end=date(2026, 12, 31))
    statuses = {s.indicator.number: s for s in coverage(start=date(2026, 1, 1), end=date(2026, 12, 31))}
    for n in (1, 2, 21, 23, 26, 32):
        assert statuses[n].status == "covered", n
    assert statuses[22].status == "missing" and statuses[31].status == "partial"  # no training; no procedure attached
    summary = coverage_summary(list(statuses.values()))
    assert summary["not_applicable"] == 10 and sum(summary.values()) == 32
    with pytest.raises(InvalidInput):
        evidence_attach(actor=in_a.admin, indicator=3, title="Certification", dated=date(2026, 1, 1))


def test_audit_bundle_contents_are_anonymised(worked_example, in_a, settings, tmp_path):
    """The audit bundle: an index PDF, the indicators table, evidence per indicator for the
    period, attachments; beneficiaries only appear as B-0001…, never by name or e-mail, and no
    free text about them (abandonment reason) is exported."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bilans.quality.bundle import build_audit_bundle
    from bilans.quality.services import evidence_attach

    settings.MEDIA_ROOT = tmp_path
    evidence_attach(actor=in_a.admin, indicator=17, title="Licences de tests", dated=date(2026, 2, 1),
                    upload=SimpleUploadedFile("licences.pdf", b"%PDF-1.4 test", content_type="application/pdf"))
    data = build_audit_bundle(start=date(2026, 1, 1), end=date(2026, 12, 31), organisation_name="Alpha Bilans")
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert names[0] == "00-index.pdf" and archive.read("00-index.pdf").startswith(b"%PDF")
    for expected in ("indicateurs.csv", "indicateur-02/resultats.json", "indicateur-04/bilans.csv", "indicateur-10/seances.csv",
                     "indicateur-12/abandons.csv", "indicateur-30/satisfaction.csv", "indicateur-31/reclamations.csv"):
        assert expected in names, expected
    assert any(n.startswith("indicateur-17/pieces/") and n.endswith("licences.pdf") for n in names)
    rows = list(csv.reader(io.StringIO(archive.read("indicateur-10/seances.csv").decode("utf-8-sig")), delimiter=";"))
    assert rows[1][0] == "B-0001" and len(rows) == 9
    everything = b"".join(archive.read(n) for n in names if n.endswith((".csv", ".json"))).decode("utf-8")
    for person in worked_example["people"]:
        assert person.last_name not in everything and person.email not in everything
    assert "Raisons personnelles" not in everything
    table = list(csv.reader(io.StringIO(archive.read("indicateurs.csv").decode("utf-8-sig")), delimiter=";"))
    assert len(table) == 33 and table[3][2] == "non (Q-04)"


def test_quality_pages(worked_example, in_a):
    client = in_a.client(in_a.admin)
    for url in ("/qualite/", "/qualite/reclamations/", "/qualite/ameliorations/", "/qualite/veille/", "/qualite/equipe/",
                "/qualite/partenaires/", "/qualite/indicateurs/1/", "/qualite/bpf/?annee=2026"):
        assert client.get(url).status_code == 200, url
    bundle = client.get("/qualite/dossier-audit/?du=2026-01-01&au=2026-12-31")
    assert bundle.status_code == 200 and bundle["Content-Type"] == "application/zip"
    assert client.get("/qualite/dossier-audit/?du=2026-13-01&au=x").status_code == 400
    assert client.get("/qualite/indicateurs/3/").status_code == 404
    response = client.post("/qualite/reclamations/", {"received_on": "2026-11-02", "source": "funder", "subject": "Facture en double", "answer_within_days": 10})
    assert response.status_code == 302
    for user in (in_a.consultant, in_a.beneficiary_user):
        assert in_a.client(user).get("/qualite/").status_code == 403
        assert in_a.client(user).get("/qualite/dossier-audit/?du=2026-01-01&au=2026-12-31").status_code == 403


def test_dashboards(worked_example, in_a):
    """Administrator: bilans by state, rates, consultants' load, revenue, outstanding, chart with
    its table; consultant: bilans at risk (idle for two weeks, hours near the 24 h cap)."""
    from bilans.models import Session
    from bilans.quality.dashboards import admin_dashboard, consultant_dashboard
    from tests.quality.conftest import at

    data = admin_dashboard(start=date(2026, 1, 1), end=date(2026, 12, 31), consultant_id=in_a.consultant.pk)
    assert data["counts"]["active"] == 1 and data["counts"]["finished"] == 2 and data["counts"]["abandoned"] == 1
    assert data["completion_rate"] == 66.7 and data["satisfaction_rate"] == 66.7
    assert data["revenue_cents"] == 430000 and data["outstanding_cents"] == 160000 + 180000 + 90000 + 11111
    load = {row["consultant"].pk: row for row in data["load"]}
    assert load[in_a.consultant.pk]["hours"] == 26.0 and load[in_a.consultant.pk]["open"] == 1
    assert [bar.value for bar in data["chart"]] == [0, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0]  # Feb, Mar, May, Sep
    filtered = admin_dashboard(start=date(2026, 1, 1), end=date(2026, 12, 31), consultant_id=in_a.other_consultant.pk)
    assert filtered["counts"]["finished"] == 0

    assert data["credits"]["consumed"] == 0
    running = worked_example["bilans"][3]
    from plans.models import TariffItem
    from plans.services import credits_charge
    from tests.plans.helpers import bilan_with_forfait

    allocation = bilan_with_forfait(in_a.organisation, running.pk, "essentiel")
    item = TariffItem.objects.filter(credits__gt=0).order_by("credits").first()
    budget = allocation.amount
    used = 0
    while used + item.credits <= budget and used < 0.9 * budget:
        credits_charge(organisation=in_a.organisation, bilan_id=running.pk, action_code=item.code, actor=None, idempotency_key=f"t{used}")
        used += item.credits
    assert used and admin_dashboard(start=date(2026, 1, 1), end=date(2026, 12, 31), consultant_id=in_a.consultant.pk)["credits"]["consumed"] == used
    Session.objects.create(bilan=running, kind="accompaniment", starts_at=at(2026, 9, 20, 9), duration_minutes=15 * 60)
    board = consultant_dashboard(user=in_a.consultant, now=at(2026, 11, 21, 12))
    (risk,) = board["at_risk"]
    assert risk["bilan"] == running
    assert any("aucune activité depuis le 07/09/2026" in r for r in risk["reasons"]) and any("22 h planifiées" in r for r in risk["reasons"])
    assert any(r.startswith("crédits du forfait presque épuisés") for r in risk["reasons"])
    client = in_a.client(in_a.admin)
    page = client.get("/pilotage/?du=2026-01-01&au=2026-12-31")
    assert page.status_code == 200 and 'role="img"' in page.content.decode()
    assert in_a.client(in_a.consultant).get("/pilotage/consultant/").status_code == 200
    assert in_a.client(in_a.consultant).get("/pilotage/").status_code == 403
