from django.urls import path

from bilans.billing import api

urlpatterns = [
    path("billing/invoices/", api.InvoiceListView.as_view(), name="billing-invoices"),
    path("billing/invoices/<uuid:pk>/facturx.pdf", api.InvoicePdfView.as_view(), name="billing-invoice-pdf"),
]
