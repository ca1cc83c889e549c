from django.urls import path

from bilans.billing import views

app_name = "billing"
urlpatterns = [
    path("facturation/", views.overview, name="overview"),
    path("facturation/documents/", views.document_list, name="documents"),
    path("facturation/financeurs/", views.funders, name="funders"),
    path("facturation/reglages/", views.settings_edit, name="settings"),
    path("facturation/exports/fec/", views.fec_download, name="fec"),
    path("facturation/exports/ecritures.csv", views.csv_download, name="csv"),
    path("facturation/bilan/<uuid:bilan_id>/", views.bilan_billing, name="bilan"),
    path("facturation/bilan/<uuid:bilan_id>/cpf/", views.cpf_declaration, name="cpf_declaration"),
    path("facturation/bilan/<uuid:bilan_id>/edof/", views.edof_record, name="edof"),
    path("facturation/documents/<uuid:pk>/", views.document_detail, name="document"),
    path("facturation/documents/<uuid:pk>/emettre/", views.document_issue, name="issue"),
    path("facturation/documents/<uuid:pk>/supprimer/", views.document_delete, name="delete"),
    path("facturation/documents/<uuid:pk>/accepter/", views.quote_accept_view, name="accept"),
    path("facturation/documents/<uuid:pk>/refuser/", views.quote_refuse_view, name="refuse"),
    path("facturation/documents/<uuid:pk>/avoir/", views.credit_note_view, name="credit_note"),
    path("facturation/documents/<uuid:pk>/paiement/", views.payment_view, name="payment"),
    path("facturation/documents/<uuid:pk>/relance/", views.remind_view, name="remind"),
    path("facturation/documents/<uuid:pk>/document.pdf", views.document_pdf, name="pdf"),
    # beneficiary space
    path("mon-bilan/factures/", views.my_invoices, name="my_invoices"),
    path("mon-bilan/factures/<uuid:pk>/payer/", views.my_invoice_pay, name="my_invoice_pay"),
    path("mon-bilan/factures/<uuid:pk>/facture.pdf", views.my_invoice_pdf, name="my_invoice_pdf"),
]
