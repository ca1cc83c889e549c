from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.views import APIView

from bilans.billing.models import BillingDocument
from bilans.billing.selectors import invoices_with_balance
from config.errors import NotFound
from organisations.accounts.models import Role
from organisations.permissions import HasRole


class InvoiceSerializer(serializers.ModelSerializer):
    funder_name = serializers.CharField(source="funder.name")
    funder_kind = serializers.CharField(source="funder.kind")
    paid_cents = serializers.IntegerField()
    credited_cents = serializers.IntegerField()
    outstanding_cents = serializers.IntegerField()

    class Meta:
        model = BillingDocument
        fields = [
            "id", "number", "issued_on", "due_on", "bilan", "funder_name", "funder_kind", "total_ht_cents", "vat_cents", "total_ttc_cents",
            "paid_cents", "credited_cents", "outstanding_cents",
        ]


class InvoiceListView(ListAPIView):
    """Issued invoices with what is paid, credited and still due (administrators)."""

    permission_classes = [HasRole.of(Role.ADMIN)]
    serializer_class = InvoiceSerializer

    def get_queryset(self):
        qs = invoices_with_balance().order_by("-issued_on", "-sequence")
        if self.request.query_params.get("outstanding") == "1":
            qs = qs.filter(outstanding_cents__gt=0)
        return qs


class InvoicePdfView(APIView):
    """The Factur-X PDF of an issued invoice or credit note."""

    permission_classes = [HasRole.of(Role.ADMIN)]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        document = BillingDocument.objects.filter(pk=pk, kind__in=["invoice", "credit_note"], status="issued").first()
        if document is None or not document.pdf:
            raise NotFound("Facture introuvable.", code="invoice_not_found")
        response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
        return response
