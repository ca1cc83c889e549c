"""Gapless numbering per organisation under concurrent issues."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from tests.billing.conftest import set_identity, set_seller_address

BILLING_TABLES = (
    "billing_payment, billing_paymentreminder, billing_quoteshare, billing_billingline, billing_billingdocument, "
    "billing_cpffile, billing_funder, billing_documentcounter, billing_billingsettings"
)


@pytest.fixture
def committed_org(transactional_db, org_a):
    """Organisation alpha with committed data; its billing tables are emptied afterwards
    (TRUNCATE: issued invoices refuse DELETE)."""
    import uuid
    from types import SimpleNamespace

    from bilans.models import Beneficiary, Bilan
    from organisations.accounts.models import User

    set_identity(org_a)
    tag = uuid.uuid4().hex[:10]  # committed rows outlive the test: unique e-mails
    with tenant_context(org_a):
        admin = User.objects.create_user(email=f"admin-{tag}@numbering.test", role="admin")
        set_seller_address(admin)
        beneficiary = Beneficiary.objects.create(first_name="Num", last_name="Érotation", email=f"b-{tag}@numbering.test")
    yield SimpleNamespace(organisation=org_a, admin=admin, beneficiary=beneficiary)
    with tenant_context(org_a):
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {BILLING_TABLES} CASCADE")
        Bilan.objects.filter(beneficiary=beneficiary).delete()
        Beneficiary.objects.filter(pk=beneficiary.pk).delete()  # keep organisation counts intact for later sessions


def test_concurrent_issues_get_gapless_unique_numbers(committed_org):
    """Twelve invoices issued at the same time from six threads: numbers 1 to 12, no gap, no
    duplicate; a failed issue gives its number back."""
    from bilans.billing.models import BillingDocument
    from bilans.billing.services import funder_create, invoice_create, invoice_issue
    from bilans.models import Bilan

    cast = committed_org
    with tenant_context(cast.organisation):
        bilan = Bilan.objects.create(beneficiary=cast.beneficiary)
        funder = funder_create(actor=cast.admin, kind="employer", name="ACME", siren="552100554")
        drafts = [
            invoice_create(actor=cast.admin, bilan=bilan, funder=funder, lines=[{"label": f"Bilan {i}", "unit_price_cents": 1000 + i}])
            for i in range(12)
        ]
        # A failed issue (rolled back after taking a number) must not leave a gap.
        with pytest.raises(RuntimeError), transaction.atomic():
            invoice_issue(actor=cast.admin, invoice=drafts[0], today=date(2026, 11, 20))
            raise RuntimeError("crash after numbering")

    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def worker(chunk):
        try:
            with tenant_context(cast.organisation):
                barrier.wait(timeout=30)
                for draft in chunk:
                    invoice_issue(actor=cast.admin, invoice=draft, today=date(2026, 11, 20))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(drafts[i::6],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with tenant_context(cast.organisation):
        numbers = sorted(BillingDocument.objects.filter(kind="invoice", status="issued").values_list("sequence", flat=True))
        assert numbers == list(range(1, 13))
        assert BillingDocument.objects.filter(kind="invoice").values("number").distinct().count() == 12
        labels = set(BillingDocument.objects.values_list("number", flat=True))
        assert labels == {f"FA-2026-{n:05d}" for n in range(1, 13)}
