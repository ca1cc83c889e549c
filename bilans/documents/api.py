"""API of documents (under /api/v1/). Same rules as the pages: a beneficiary only ever gets
published documents and their validated version; everything else answers 404 to them."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ai.generation.doctypes import CHOICES
from bilans.documents import selectors, services
from bilans.documents.content import CONTENT_HTML_MAX_CHARS, content_too_long_message, diff_html
from bilans.documents.models import Document
from bilans.models import Bilan
from config.errors import InvalidInput, NotFound
from config.throttling import AnonymousThrottle, OrganisationThrottle, VerifyUploadThrottle
from organisations.accounts.models import Role
from organisations.permissions import HasRole, can_manage_documents, ensure_can_manage_documents


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    source = serializers.CharField()
    author = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    content_html = serializers.CharField()

    def get_author(self, version) -> str | None:
        return version.author.get_full_name() or version.author.email if version.author_id else None


class DocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    bilan = serializers.UUIDField(source="bilan_id")
    doc_type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    failure_code = serializers.CharField()
    failure_reason = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    validated_at = serializers.DateTimeField(allow_null=True)
    change_level = serializers.CharField()
    validation_credits = serializers.IntegerField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    pdf_sha256 = serializers.CharField()


class BeneficiaryDocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    doc_type = serializers.CharField()
    title = serializers.CharField()
    published_at = serializers.DateTimeField()
    pdf_sha256 = serializers.CharField()
    content_html = serializers.CharField(source="validated_version.content_html")


class DocumentRequestSerializer(serializers.Serializer):
    bilan = serializers.UUIDField()
    doc_type = serializers.ChoiceField(choices=CHOICES)
    due_on = serializers.DateField(required=False, allow_null=True)


class VersionCreateSerializer(serializers.Serializer):
    content_html = serializers.CharField(
        help_text=f"Texte riche (HTML), assaini à l'enregistrement ; {CONTENT_HTML_MAX_CHARS} caractères au plus (sinon 400 document_too_long).",
        max_length=CONTENT_HTML_MAX_CHARS, trim_whitespace=False,
    )


DiffSerializer = inline_serializer(
    "DocumentDiff",
    {"from": serializers.IntegerField(), "to": serializers.IntegerField(), "html": serializers.CharField(),
     "inserted": serializers.IntegerField(), "deleted": serializers.IntegerField()},
)


VerifyResultSerializer = inline_serializer(
    "DocumentVerifyResult",
    {
        "ok": serializers.BooleanField(), "signed": serializers.BooleanField(), "intact": serializers.BooleanField(),
        "valid": serializers.BooleanField(), "trusted": serializers.BooleanField(), "covers_whole_file": serializers.BooleanField(),
        "signer": serializers.CharField(), "signed_at": serializers.CharField(allow_null=True), "sha256": serializers.CharField(),
        "known": serializers.BooleanField(), "document": serializers.DictField(required=False),
    },
)


def _serialize(user, document):
    if can_manage_documents(user, document.bilan):
        return DocumentSerializer(document).data
    return BeneficiaryDocumentSerializer(document).data


class DocumentListCreateView(APIView):
    permission_classes = [HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]

    @extend_schema(operation_id="documents_list", responses=DocumentSerializer(many=True), summary="Documents visibles (un bénéficiaire : publiés seulement)")
    def get(self, request):
        qs = selectors.document_list(user=request.user, status=request.query_params.get("status", ""))
        if request.query_params.get("bilan"):
            try:
                qs = qs.filter(bilan_id=request.query_params["bilan"])
            except ValidationError:
                raise InvalidInput("Identifiant de bilan invalide.", code="invalid_bilan") from None
        return Response([_serialize(request.user, d) for d in qs.select_related("validated_version")[:500]])

    @extend_schema(operation_id="documents_create", request=DocumentRequestSerializer, responses={201: DocumentSerializer}, summary="Lancer la rédaction d'un document")
    def post(self, request):
        payload = DocumentRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        bilan = Bilan.objects.select_related("beneficiary").filter(pk=payload.validated_data["bilan"]).first()
        if bilan is None:
            raise NotFound("Bilan introuvable.", code="bilan_not_found")
        document = services.document_request(
            actor=request.user, bilan=bilan, doc_type=payload.validated_data["doc_type"], due_on=payload.validated_data.get("due_on")
        )
        return Response(DocumentSerializer(document).data, status=201)


class DocumentDetailView(APIView):
    permission_classes = [HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]

    @extend_schema(operation_id="documents_retrieve", responses=DocumentSerializer)
    def get(self, request, pk):
        return Response(_serialize(request.user, selectors.document_get(user=request.user, document_id=pk)))


class DocumentVersionsView(APIView):
    permission_classes = [HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]

    def _document(self, request, pk):
        document = selectors.document_get(user=request.user, document_id=pk)
        ensure_can_manage_documents(request.user, document.bilan)
        return document

    @extend_schema(operation_id="documents_versions_list", responses=VersionSerializer(many=True))
    def get(self, request, pk):
        return Response(VersionSerializer(selectors.versions_of(self._document(request, pk)), many=True).data)

    @extend_schema(operation_id="documents_versions_create", request=VersionCreateSerializer, responses={201: VersionSerializer})
    def post(self, request, pk):
        # A JSON body that is not an object ([] or "x") carries no content_html: same 400, never a 500.
        content = request.data.get("content_html") if hasattr(request.data, "get") else None
        if not isinstance(content, str):
            raise InvalidInput("Le champ content_html est obligatoire.", code="content_required")
        if len(content) > CONTENT_HTML_MAX_CHARS:  # checked before anything else reads it
            raise InvalidInput(content_too_long_message(len(content)), code="document_too_long")
        version = services.document_save_version(actor=request.user, document=self._document(request, pk), content_html=content)
        return Response(VersionSerializer(version).data, status=201)


class DocumentDiffView(DocumentVersionsView):
    @extend_schema(operation_id="documents_diff", responses=DiffSerializer, summary="Comparaison de deux versions (from, to)")
    def get(self, request, pk):
        document = self._document(request, pk)
        old = selectors.version_get(document, request.query_params.get("from", "1"))
        latest = selectors.latest_version(document)
        new = selectors.version_get(document, request.query_params.get("to", latest.number if latest else "0"))
        html, counts = diff_html(old.content_html, new.content_html)
        return Response({"from": old.number, "to": new.number, "html": html, **counts})

    http_method_names = ["get", "options"]


class DocumentValidateView(APIView):
    permission_classes = [HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]

    @extend_schema(operation_id="documents_validate", request=None, responses=DocumentSerializer, summary="Valider et publier (mesure et crédits)")
    def post(self, request, pk):
        document = selectors.document_get(user=request.user, document_id=pk)
        document = services.document_validate(actor=request.user, document=document)
        return Response(DocumentSerializer(document).data)


class DocumentRetryView(DocumentValidateView):
    @extend_schema(operation_id="documents_retry", request=None, responses=DocumentSerializer)
    def post(self, request, pk):
        document = selectors.document_get(user=request.user, document_id=pk)
        return Response(DocumentSerializer(services.document_retry(actor=request.user, document=document)).data)


class DocumentRegenerateView(DocumentValidateView):
    @extend_schema(operation_id="documents_regenerate", request=None, responses={202: DocumentSerializer}, summary="Régénérer le brouillon en relecture (nouvelle version)")
    def post(self, request, pk):
        document = selectors.document_get(user=request.user, document_id=pk)
        return Response(DocumentSerializer(services.document_regenerate(actor=request.user, document=document)).data, status=202)


class DocumentPdfView(APIView):
    permission_classes = [HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]

    @extend_schema(operation_id="documents_pdf", responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        document = selectors.document_get(user=request.user, document_id=pk)
        if not document.pdf_sha256:
            raise NotFound("Le PDF n'est pas encore prêt.", code="pdf_not_ready")
        response = HttpResponse(services.document_pdf(document), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{document.doc_type}-{document.pk}.pdf"'
        return response


class DocumentVerifyView(APIView):
    """Anyone holding a PDF may check it (no account needed): integrity and issuer."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    throttle_classes = [AnonymousThrottle, VerifyUploadThrottle, OrganisationThrottle]

    @extend_schema(
        operation_id="documents_verify",
        request={"multipart/form-data": inline_serializer("DocumentVerifyUpload", {"file": serializers.FileField()})},
        responses=VerifyResultSerializer,
        summary="Vérifier l'intégrité d'un PDF émis (sans compte)",
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput("Envoyez le PDF dans le champ « file ».", code="file_required")
        return Response(services.document_verify(pdf=services.verify_upload_read(upload)))
