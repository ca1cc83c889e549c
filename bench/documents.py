"""Documents: drafting every document of a bilan with the built-in provider, rendering a
10-page synthèse with charts to PDF, sealing it (PAdES) and verifying it.

Standalone: uses its own database ``DOCUMENTS_BENCH_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/bilans_bench_docs``), dropped and recreated at start;
production-like settings (DEBUG off), a throw-away PKCS#12 sealing certificate. Creates one
organisation with a consultant, a beneficiary and a bilan with objectives, sessions, a RIASEC
result and a career option, then measures, in-process and sequentially (xhtml2pdf renders one
document at a time per process anyway):

- the generation job body (``document_generate``: data gathering, built-in composition, schema
  validation, version 1, record, audit, notification) for each of the 15 document types;
- the PDF rendering of a synthèse grown to about 10 pages with 3 SVG charts and a 40-row table;
- the PAdES seal of that PDF and its verification; the whole signature sealing job (proof
  sheet rendered, appended, sealed, stored encrypted).

    .venv/bin/python bench/documents.py [--quick] [--keep]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import _common as c

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bilans_bench_docs"
SLUG = "bench-documents"


def populate():
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from bilans.models import Beneficiary, Bilan, Objective, Session
    from organisations.accounts.models import Role, User
    from tenants.services import organisation_create, template_schema_ensure

    template_schema_ensure()
    created = organisation_create(
        name="Organisme du banc documents", slug=SLUG, kind="training_organisation", admin_email=f"admin@{SLUG}.example.org", admin_password=None
    )
    organisation = created.organisation
    organisation.activity_declaration_number = "11755555575"
    organisation.activity_declaration_region = "Île-de-France"
    organisation.qualiopi_certificate_number = "QUALI-BENCH-1"
    organisation.brand_colour = "#1f5fae"
    organisation.save()
    with tenant_context(organisation):
        consultant = User.objects.create_user(email=f"consultant@{SLUG}.example.org", role=Role.CONSULTANT, first_name="Claire", last_name="Conseil")
        person = User.objects.create_user(email=f"marie@{SLUG}.example.org", role=Role.BENEFICIARY, first_name="Marie", last_name="Durand")
        beneficiary = Beneficiary.objects.create(
            first_name="Marie", last_name="Durand", email=person.email, phone="06 12 34 56 78", user=person, consultant=consultant,
            employer_name="Transports Exemple SA", career_summary="Quinze ans de gestion administrative dans le transport.",
        )
        bilan = Bilan.objects.create(beneficiary=beneficiary, consultant=consultant, status="conclusions")
        from plans.models import CreditLot
        from plans.services import credits_grant, forfait_allocate

        # the premium forfait includes every document type; extra credits for the repeated rounds
        credits_grant(organisation=organisation, amount=5000, source=CreditLot.Source.PURCHASE, idempotency_key="bench-docs-fund", expires_at=None)
        forfait_allocate(organisation=organisation, bilan_id=bilan.pk, forfait_code="entreprise", actor=None, idempotency_key="bench-docs-forfait", credits=4000)
        for i, text in enumerate(["Identifier un métier d'analyse", "Valoriser l'expérience en gestion", "Concilier projet et vie familiale"]):
            Objective.objects.create(bilan=bilan, text=text, position=i)
        start = timezone.now() - timedelta(days=60)
        for i in range(8):
            Session.objects.create(bilan=bilan, starts_at=start + timedelta(days=7 * i), duration_minutes=120, attendance="attended")
        try:
            from bilans.assessments import scoring, services
            from bilans.assessments.instruments import DEFINITIONS
            from bilans.assessments.models import CareerOption

            answers = {item["id"]: 5 if item["dimension"] in "IC" else 2 for item in scoring.iter_items(DEFINITIONS["riasec"])}
            assessment = services.assessment_assign(bilan=bilan, instrument_code="riasec", actor=consultant)
            services.assessment_save(assessment=assessment, actor=person, answers=answers)
            services.assessment_submit(assessment=assessment, actor=person)
            CareerOption.objects.create(
                bilan=bilan, code_rome="M1204", label="Contrôleur de gestion", kind="main", match={"score": 78}, advantages="Analyse et chiffres.", created_by=consultant
            )
        except Exception as exc:  # the benchmark still runs without assessments
            print(f"(assessment data unavailable: {exc})")
    return organisation, consultant, person, bilan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    rounds = 1 if args.quick else 3
    renders = 2 if args.quick else 5
    seals = 5 if args.quick else 30
    url = os.environ.get("DOCUMENTS_BENCH_DATABASE_URL", DEFAULT_URL)
    if "bench" not in url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing to drop a database whose name does not contain 'bench'")

    from cryptography.fernet import Fernet

    workdir = Path(tempfile.mkdtemp(prefix="bench-docs-"))
    c.django_setup(url, FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(), MEDIA_ROOT=str(workdir / "media"))
    from django.conf import settings

    from bilans.documents import signing

    signing._generate_dev_pkcs12(workdir / "seal.p12")
    settings.SIGNING_PKCS12_PATH, settings.SIGNING_PKCS12_PASSWORD = str(workdir / "seal.p12"), signing.DEV_PASSWORD.decode()
    c.header("Documents: drafting, PDF, seal", rounds=rounds, renders=renders, seals=seals)
    try:
        from django_tenants.utils import tenant_context

        from ai.generation.doctypes import TYPES
        from bilans.documents import rendering
        from bilans.documents.models import Document
        from bilans.documents.services import document_generate, document_publish, document_request, document_validate, signature_seal
        from bilans.documents.storage import sha256

        organisation, consultant, person, bilan = populate()
        with tenant_context(organisation):
            # 1. every document of the bilan with the built-in provider
            per_type: dict[str, list[float]] = {code: [] for code in TYPES}
            totals = []
            for _ in range(rounds):
                Document.objects.filter(bilan=bilan).delete()
                with c.stopwatch() as total:
                    for code in TYPES:
                        with c.stopwatch() as one:
                            document = document_request(actor=consultant, bilan=bilan, doc_type=code)
                            document = document_generate(document_id=document.pk, actor_id=consultant.pk)
                        if document.status != "review":
                            raise RuntimeError(f"{code}: {document.failure_reason}")
                        per_type[code].append(one())
                totals.append(total())
            rows = [[code, len(v), c.ms(min(v)), c.ms(sorted(v)[len(v) // 2])] for code, v in per_type.items()]
            print(c.table(["document type (generation job)", "n", "min ms", "median ms"], rows))
            print(f"all {len(TYPES)} documents of a bilan: median {c.ms(sorted(totals)[len(totals) // 2]):.0f} ms over {rounds} round(s)")

            # 2. a 10-page synthèse with charts
            synthesis = Document.objects.get(bilan=bilan, doc_type="synthesis")
            version = synthesis.versions.get()
            version.content_html += "".join(
                f"<h2>Approfondissement {i}</h2><p>{'Le bilan a permis de préciser les compétences transférables et les conditions de réussite du projet. ' * 14}</p>"
                "<ul><li>Point d'appui</li><li>Point de vigilance</li><li>Ressource à mobiliser</li></ul>"
                for i in range(13)
            )
            version.content_html += "<h2>Compétences</h2><table><thead><tr><th>Compétence</th><th>Niveau</th><th>Preuve</th></tr></thead><tbody>" + "".join(
                f"<tr><td>Compétence {i}</td><td>{1 + i % 4}</td><td>Expérience professionnelle n° {i}</td></tr>" for i in range(40)
            ) + "</tbody></table>"
            version.save()
            synthesis.charts = (synthesis.charts or []) + [
                {"title": "Valeurs professionnelles", "labels": ["Réussite", "Autonomie", "Reconnaissance", "Relations", "Soutien", "Conditions"], "values": [80, 65, 40, 72, 55, 60], "max": 100},
                {"title": "Primo-diagnostic 360°", "labels": ["Emploi", "Lieu", "Logement", "Transports", "Famille", "Finances"], "values": [70, 50, 90, 40, 85, 60], "max": 100},
            ]
            synthesis.save(update_fields=["charts"])
            rendering.render_pdf(synthesis, version)  # warm-up (fonts, templates)
            times, pages, pdf = [], 0, b""
            for _ in range(renders):
                with c.stopwatch() as elapsed:
                    pdf, pages, _ms = rendering.render_pdf(synthesis, version)
                times.append(elapsed())
            s = c.summary([c.ms(t) for t in times])
            print(c.table(["PDF", "pages", "charts", "bytes", "n", "median ms", "p95 ms"],
                          [["synthèse (xhtml2pdf)", pages, len(synthesis.charts), len(pdf), s["n"], s["median"], s["p95"]]]))  # fmt: skip

            # 3. seal and verify
            signing.seal(pdf, reason="warm-up")
            seal_times, verify_times, sealed = [], [], b""
            for _ in range(seals):
                with c.stopwatch() as elapsed:
                    sealed = signing.seal(pdf, reason="Banc d'essai")
                seal_times.append(c.ms(elapsed()))
                with c.stopwatch() as elapsed:
                    result = signing.verify(sealed)
                verify_times.append(c.ms(elapsed()))
                if not result["ok"]:
                    raise RuntimeError("sealed PDF does not verify")
            tampered = bytearray(sealed)
            tampered[len(sealed) // 2] ^= 1
            if signing.verify(bytes(tampered))["ok"]:
                raise RuntimeError("a changed byte was not detected")
            a, b = c.summary(seal_times), c.summary(verify_times)
            print(c.table(["operation", "n", "median ms", "p95 ms"], [["PAdES seal (pyHanko)", a["n"], a["median"], a["p95"]], ["verification", b["n"], b["median"], b["p95"]]]))

            # 4. publish + the whole signature sealing job (proof sheet, merge, seal, store)
            from bilans.documents.models import SignatureRequest
            from django.utils import timezone

            synthesis = document_validate(actor=consultant, document=synthesis)
            with c.stopwatch() as elapsed:
                synthesis = document_publish(document_id=synthesis.pk)
            publish_ms = c.ms(elapsed())
            request = SignatureRequest.objects.create(
                document=synthesis, signer=person, signer_name="Marie Durand", signer_email=person.email, status="signed",
                code_hash="-", code_sent_at=timezone.now(), code_expires_at=timezone.now(), signed_at=timezone.now(),
                ip_address="203.0.113.1", user_agent="bench", sha256_before=synthesis.pdf_sha256, consent_text="bench",
            )
            with c.stopwatch() as elapsed:
                request = signature_seal(request_id=request.pk)
            print(f"publication job (render {synthesis.pdf_pages} pages + encrypt + notify): {publish_ms:.0f} ms; "
                  f"signature sealing job (proof sheet + merge + seal + encrypt): {c.ms(elapsed()):.0f} ms; sealed sha256 {request.sha256_after[:12]}…")  # fmt: skip
            from bilans.documents.services import signed_pdf

            if request.sha256_after != sha256(signed_pdf(request)) or not signing.verify(signed_pdf(request))["ok"]:
                raise RuntimeError("the signed PDF does not match its recorded hash")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            c.database_drop(url)


if __name__ == "__main__":
    sys.path.insert(0, str(c.ROOT))
    main()
