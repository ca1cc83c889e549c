"""`seed_demo`: a visitor of the demonstration finds bilans in every phase with their history
(sessions, results, projects, documents, convention, invoice, follow-up) and enough credits to
try every feature; running the command again changes nothing.

The command commits and creates two organisations (two schemas): the test is transactional
and drops those schemas afterwards so that the session stays clean."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import tenant_context

from tests.ai.conftest import _rome_session, rome  # noqa: F401  (shared fixtures)
from tests.conftest import client_for

DEMO_SLUGS = ("demo", "marie-lambert-conseil")


def drop_demo_schemas() -> None:
    from tenants.services import schema_name_for_slug

    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for slug in DEMO_SLUGS:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema_name_for_slug(slug)}" CASCADE')


@pytest.fixture
def demo_seeded(transactional_db, settings, tmp_path):
    """Run `seed_demo` (committed) and yield the two demonstration organisations."""
    from plans.migrations._seed import seed_plans
    from tenants.models import Organisation

    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path / "media"
    drop_demo_schemas()  # left by an interrupted run
    seed_plans()  # the plan tables may have been flushed by an earlier transactional test
    output = _Sink()
    call_command("seed_demo", stdout=output)
    print("".join(output.text))  # shown when a test fails: what the demo holds, and the time it took
    connection.set_schema_to_public()
    yield Organisation.objects.get(slug="demo"), Organisation.objects.get(slug="marie-lambert-conseil")
    connection.set_schema_to_public()
    drop_demo_schemas()


class _Sink:
    def __init__(self):
        self.text = []

    def write(self, text):
        self.text.append(text)

    def flush(self):
        pass


def _counts(organisation) -> dict:
    from bilans.assessments.models import CareerOption, Result
    from bilans.billing.models import BillingDocument
    from bilans.documents.models import Document
    from bilans.models import Beneficiary, Bilan, Convention, Session
    from organisations.accounts.models import AuditEvent, User
    from plans.models import LedgerEntry

    with tenant_context(organisation):
        counts = {
            model.__name__: model.objects.count()
            for model in (User, Beneficiary, Bilan, Session, Convention, Result, CareerOption, Document, BillingDocument, AuditEvent)
        }
    counts["LedgerEntry"] = LedgerEntry.objects.filter(organisation=organisation).count()
    return counts


def _wallet(organisation) -> int:
    from plans.selectors import available_balance, wallet_for

    connection.set_schema_to_public()
    return available_balance(wallet_for(organisation))


def test_demo_shows_every_phase_with_its_history_and_credits(rome, demo_seeded):
    from bilans.assessments.models import CareerOption, Result
    from bilans.billing.models import BillingDocument
    from bilans.documents.models import Document
    from bilans.models import Bilan, Convention, FundingSource, Session
    from bilans.services import PHASES
    from plans.models import ForfaitType

    demo, independent = demo_seeded
    with tenant_context(demo):
        assert set(Bilan.objects.values_list("status", flat=True)) == set(PHASES)
        # every bilan past the prospect stage has attended sessions within the 24 hours
        for bilan in Bilan.objects.exclude(status="prospect"):
            attended = bilan.sessions.filter(attendance=Session.Attendance.ATTENDED)
            assert attended.exists(), bilan.status
            counted = sum(s.duration_minutes for s in bilan.sessions.exclude(interview_type="follow_up"))
            assert counted <= 24 * 60
        assert {"riasec", "big_five", "values", "skills"} <= set(Result.objects.values_list("instrument_code", flat=True))
        assert CareerOption.objects.filter(kind="main").exists()
        assert Document.objects.filter(status="review").exists()

        published = Document.objects.filter(status="published").select_related("bilan__beneficiary__user").first()
        person = published.bilan.beneficiary.user

    # a published document, which its beneficiary reads from their space
    response = client_for(demo, person).get(f"/documents/{published.pk}/document.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"

    with tenant_context(demo):
        # the employer-funded bilan: signed tripartite convention, issued invoice
        employer_funded = Bilan.objects.get(funding_sources__kind=FundingSource.Kind.EMPLOYER_PLAN)
        convention = employer_funded.conventions.get(kind=Convention.Kind.TRIPARTITE)
        assert convention.status == Convention.Status.SIGNED
        assert convention.beneficiary_signed_at and convention.employer_signed_at and convention.organisation_signed_at
        invoice = BillingDocument.objects.get(bilan=employer_funded, kind="invoice")
        assert invoice.status == "issued" and invoice.number.startswith("FA-")
        # … and its six-month follow-up interview is on the calendar
        assert employer_funded.status == "finished"
        assert employer_funded.sessions.filter(interview_type="follow_up", attendance="planned").exists()

    # the independent practitioner runs bilans in several phases
    with tenant_context(independent):
        assert {"prospect", "investigation", "finished"} <= set(Bilan.objects.values_list("status", flat=True))

    # enough credits on both wallets for the largest forfait (every feature)
    largest = max(ForfaitType.objects.filter(is_active=True).values_list("credits", flat=True))
    assert _wallet(demo) >= largest
    assert _wallet(independent) >= largest

    # running it again changes nothing
    before = {org.slug: _counts(org) for org in (demo, independent)}
    call_command("seed_demo", stdout=_Sink())
    after = {org.slug: _counts(org) for org in (demo, independent)}
    assert after == before


def test_demo_without_the_rome_referential(cast_a, settings, tmp_path):
    """Without the ROME referential (not imported yet), the demonstration is built all the same,
    without the skills self-assessment nor shortlisted projects."""
    from ai.models import Occupation
    from bilans import demo
    from bilans.assessments.models import CareerOption
    from bilans.models import Bilan

    settings.MEDIA_ROOT = tmp_path / "media"
    if Occupation.objects.exists():  # loaded by another test: emptied inside this test's transaction
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {Occupation._meta.db_table} CASCADE")
    staff = _staff()
    specs = tuple(spec for spec in demo.DEMO_BILANS if spec.phase in ("investigation", "conclusions"))
    with tenant_context(cast_a.organisation):
        report = demo.organisation_seed(
            organisation=cast_a.organisation, admin=cast_a.admin, staff=staff, identity=demo.DEMO_IDENTITY,
            consultants=demo.DEMO_CONSULTANTS, bilans=specs,
        )
        assert report.phases() == {"investigation", "conclusions"}
        assert not CareerOption.objects.exists()
        assert Bilan.objects.get(beneficiary__email=specs[1].person.email).assessment_results.filter(instrument_code="riasec").exists()


def _staff():
    from organisations.accounts.models import User

    connection.set_schema_to_public()
    return User.objects.create_superuser(email="equipe-demo@plateforme.test", password=None, first_name="Équipe", last_name="Plateforme")
