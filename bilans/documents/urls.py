from django.urls import path

from bilans.documents import views

app_name = "documents"
urlpatterns = [
    path("documents/", views.queue, name="queue"),
    path("documents/modeles/", views.template_list, name="templates"),
    path("documents/modeles/<str:doc_type>/", views.template_edit, name="template_edit"),
    path("documents/reglages/", views.settings_edit, name="settings"),
    path("documents/verifier/", views.verify, name="verify"),
    path("documents/bilan/<uuid:bilan_id>/", views.bilan_documents, name="bilan"),
    path("documents/bilan/<uuid:bilan_id>/generer/", views.document_new, name="new"),
    path("documents/bilan/<uuid:bilan_id>/<slug:slug>.pdf", views.sealed_record_download, name="sealed_record"),
    path("documents/bilan/<uuid:bilan_id>/<slug:slug>/sceller/", views.sealed_record_refresh_view, name="sealed_record_refresh"),
    path("documents/<uuid:pk>/", views.document_detail, name="detail"),
    path("documents/<uuid:pk>/progression/", views.document_progress, name="progress"),
    path("documents/<uuid:pk>/relancer/", views.document_retry_view, name="retry"),
    path("documents/<uuid:pk>/regenerer/", views.document_regenerate_view, name="regenerate"),
    path("documents/<uuid:pk>/enregistrer/", views.document_save, name="save"),
    path("documents/<uuid:pk>/valider/", views.document_validate_view, name="validate"),
    path("documents/<uuid:pk>/publier/", views.publish_retry, name="publish_retry"),
    path("documents/<uuid:pk>/conserver/", views.document_retain_view, name="retain"),
    path("documents/<uuid:pk>/mon-accord-de-conservation/", views.my_document_retain, name="my_retain"),
    path("documents/<uuid:pk>/versions/<int:number>/", views.version_detail, name="version"),
    path("documents/<uuid:pk>/comparer/", views.version_diff, name="diff"),
    path("documents/<uuid:pk>/apercu/", views.document_preview, name="preview"),
    path("documents/<uuid:pk>/document.pdf", views.document_pdf_view, name="pdf"),
    path("documents/<uuid:pk>/signer/", views.sign, name="sign"),
    path("documents/<uuid:pk>/signe.pdf", views.signed_pdf_view, name="signed_pdf"),
    path("documents/<uuid:pk>/signatures/lancer/", views.signature_start_view, name="signature_start"),
    path("documents/<uuid:pk>/signatures/relancer-employeur/", views.signature_link_resend_view, name="signature_link_resend"),
    path("documents/<uuid:pk>/signer-pour-l-organisme/", views.sign_for_organisation, name="sign_organisation"),
    path("signature/<str:token>/", views.employer_sign, name="employer_sign"),
    path("signature/<str:token>/document.pdf", views.employer_document_pdf, name="employer_pdf"),
    path("mes-documents/", views.my_documents, name="mine"),
]
