from django.urls import path

from bilans.documents import api

urlpatterns = [
    path("documents/", api.DocumentListCreateView.as_view(), name="documents"),
    path("documents/verify/", api.DocumentVerifyView.as_view(), name="document-verify"),
    path("documents/<uuid:pk>/", api.DocumentDetailView.as_view(), name="document"),
    path("documents/<uuid:pk>/versions/", api.DocumentVersionsView.as_view(), name="document-versions"),
    path("documents/<uuid:pk>/diff/", api.DocumentDiffView.as_view(), name="document-diff"),
    path("documents/<uuid:pk>/validate/", api.DocumentValidateView.as_view(), name="document-validate"),
    path("documents/<uuid:pk>/retry/", api.DocumentRetryView.as_view(), name="document-retry"),
    path("documents/<uuid:pk>/regenerate/", api.DocumentRegenerateView.as_view(), name="document-regenerate"),
    path("documents/<uuid:pk>/pdf/", api.DocumentPdfView.as_view(), name="document-pdf"),
]
