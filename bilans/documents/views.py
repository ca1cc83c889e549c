from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ai.generation.doctypes import TYPES
from bilans.documents import rendering, selectors, services
from bilans.documents.content import diff_html
from bilans.documents.forms import (
    DocumentRequestForm,
    DocumentSettingsForm,
    MyRetentionForm,
    RetentionForm,
    SignatureConfirmForm,
    SignatureStartForm,
    TemplateForm,
    VerifyForm,
    VersionForm,
)
from bilans.documents.models import Document, SealedRecord, SignatureRequest
from bilans.documents.templating import VARIABLES, default_template
from bilans.models import Bilan
from config.errors import ApplicationError, InvalidInput, NotFound, TooManyRequests
from config.throttling import VerifyUploadThrottle
from organisations.accounts.context import client_ip
from organisations.accounts.models import Role
from organisations.permissions import (
    can_manage_document_settings,
    can_manage_documents,
    can_sign_document,
    ensure_can_manage_documents,
    role_required,
)

staff = role_required(Role.ADMIN, Role.CONSULTANT)
members = role_required(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)
admin_only = role_required(Role.ADMIN)


def _bilan(user, bilan_id) -> Bilan:
    try:
        bilan = Bilan.objects.select_related("beneficiary", "consultant").get(pk=bilan_id)
    except (Bilan.DoesNotExist, ValueError, ValidationError):
        raise NotFound("Bilan introuvable.", code="bilan_not_found") from None
    ensure_can_manage_documents(user, bilan)
    return bilan


def _staff_document(user, pk) -> Document:
    document = selectors.document_get(user=user, document_id=pk)
    ensure_can_manage_documents(user, document.bilan)
    return document


# --- consultant ---------------------------------------------------------------------------------
@staff
def queue(request):
    page = Paginator(selectors.review_queue(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "documents/queue.html", {"page_obj": page, "types": TYPES})


@staff
def bilan_documents(request, bilan_id):
    bilan = _bilan(request.user, bilan_id)
    documents = selectors.document_list(user=request.user, bilan=bilan)
    return render(request, "documents/bilan_documents.html", {"bilan": bilan, "documents": documents, "form": DocumentRequestForm(), "types": TYPES, **_records(bilan)})


def _records(bilan) -> dict:
    return {
        "attendance_record": selectors.sealed_record_latest(bilan, SealedRecord.Kind.ATTENDANCE),
        "consent_record": selectors.sealed_record_latest(bilan, SealedRecord.Kind.CONSENT),
    }


@staff
@require_POST
def document_new(request, bilan_id):
    bilan = _bilan(request.user, bilan_id)
    form = DocumentRequestForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                document = services.document_request(
                    actor=request.user, bilan=bilan, doc_type=form.cleaned_data["doc_type"], due_on=form.cleaned_data["due_on"]
                )
        except ApplicationError as error:
            form.add_error("doc_type", error.message)
        else:
            messages.success(request, "La rédaction du document a commencé. Vous pouvez suivre sa progression ici.")
            return redirect("documents:detail", pk=document.pk)
    documents = selectors.document_list(user=request.user, bilan=bilan)
    return render(request, "documents/bilan_documents.html", {"bilan": bilan, "documents": documents, "form": form, "types": TYPES, **_records(bilan)}, status=400)


def _detail_context(request, document, form=None, *, start_form=None, confirm_form=None, retention_form=None):
    versions = list(selectors.versions_of(document))
    latest = versions[-1] if versions else None
    envelope = selectors.envelope_of(document)
    parties = selectors.envelope_requests(envelope)
    organisation_request = next((r for r in parties if r.party == SignatureRequest.Party.ORGANISATION), None)
    beneficiary = document.bilan.beneficiary
    spec = TYPES.get(document.doc_type)
    return {
        "envelope": envelope,
        "parties": parties,
        "organisation_request": organisation_request,
        "can_start_signature": spec is not None and spec.signable and envelope is None and document.is_published and not document.is_destroyed,
        "needs_employer": "employer" in services.signature_parties(document.doc_type),
        "start_form": start_form or SignatureStartForm(
            initial={"employer_name": getattr(beneficiary, "employer_contact_name", ""), "employer_email": getattr(beneficiary, "employer_contact_email", "")}
        ),
        "org_confirm_form": confirm_form or SignatureConfirmForm(),
        "document": document,
        "spec": TYPES.get(document.doc_type),
        "versions": versions,
        "latest": latest,
        "form": form or (VersionForm(initial={"content_html": latest.content_html}) if latest else None),
        "generation": document.generations.order_by("-created_at").first(),
        "signatures": list(selectors.signatures_of(document)),
        "snapshot": document.data_snapshot or {},
        "poll": document.is_running or (document.status == Document.Status.VALIDATED and not document.failure_code),
        "retention_form": (retention_form or RetentionForm(initial={"keep_until": document.retained_until}))
        if document.doc_type in services.WORKING_TYPES and not document.is_destroyed else None,
    }


@members
def document_detail(request, pk):
    document = selectors.document_get(user=request.user, document_id=pk)
    if not can_manage_documents(request.user, document.bilan):
        return _beneficiary_detail(request, document)
    return render(request, "documents/document_detail.html", _detail_context(request, document))


def _beneficiary_detail(request, document, *, confirm_form=None, retention_form=None, status=200):
    """What a beneficiary sees: only a published document and its validated version."""
    services.document_mark_opened(actor=request.user, document=document)
    spec = TYPES.get(document.doc_type)
    signature = selectors.signature_for(document, request.user)
    envelope = selectors.envelope_of(document)
    return render(
        request,
        "documents/beneficiary_document.html",
        {
            "document": document,
            "spec": spec,
            "version": document.validated_version,
            "signature": signature,
            "envelope": envelope,
            "parties": selectors.envelope_requests(envelope),
            "can_sign": can_sign_document(request.user, document) and spec is not None and spec.signable,
            "confirm_form": confirm_form or SignatureConfirmForm(),
            "mention": rendering.ai_mention(document),
            "is_working": document.doc_type in services.WORKING_TYPES,
            "retention_form": retention_form or MyRetentionForm(),
        },
        status=status,
    )


def _staff_action(request, pk, service, success: str):
    """Run one of the documents services on the document the user manages, then back to it."""
    service(actor=request.user, document=_staff_document(request.user, pk))
    messages.success(request, success)
    return redirect("documents:detail", pk=pk)


@staff
def document_progress(request, pk):
    document = _staff_document(request.user, pk)
    poll = document.is_running or (document.status == Document.Status.VALIDATED and not document.failure_code)
    return render(request, "documents/_progress.html", {"document": document, "poll": poll})


@staff
@require_POST
def document_retry_view(request, pk):
    return _staff_action(request, pk, services.document_retry, "La rédaction est relancée.")


@staff
@require_POST
def document_regenerate_view(request, pk):
    """A new AI draft of a document in review (409 once validated)."""
    return _staff_action(request, pk, services.document_regenerate, "Un nouveau brouillon est en cours de rédaction. Les versions précédentes restent dans l'historique.")


@staff
@require_POST
def document_save(request, pk):
    document = _staff_document(request.user, pk)
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            version = services.document_save_version(actor=request.user, document=document, content_html=form.cleaned_data["content_html"])
        except InvalidInput as error:  # a locked or not-ready document answers 409 (error page)
            form.add_error("content_html", error.message)
        else:
            messages.success(request, f"Version {version.number} enregistrée.")
            return redirect("documents:detail", pk=pk)
    return render(request, "documents/document_detail.html", _detail_context(request, document, form), status=400)


@staff
@require_POST
def document_validate_view(request, pk):
    document = _staff_document(request.user, pk)
    document = services.document_validate(actor=request.user, document=document)
    labels = dict(Document.Change.choices)
    messages.success(
        request,
        f"Document validé ({labels[document.change_level].lower()}, {document.validation_credits} crédit{'s' if (document.validation_credits or 0) > 1 else ''}). "
        "Le PDF est en préparation puis sera publié au bénéficiaire.",
    )
    return redirect("documents:detail", pk=pk)


@staff
@require_POST
def document_retain_view(request, pk):
    """CT-09 (b): the consultant records the beneficiary's written agreement to keep a document."""
    document = _staff_document(request.user, pk)
    form = RetentionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.document_retain(
                actor=request.user, document=document, keep_until=d["keep_until"], method=d["method"], follow_up_need=d["follow_up_need"],
                agreement_reference=d["agreement_reference"], agreement_date=d["agreement_date"],
            )
        except InvalidInput as error:  # a destroyed document answers 409 (error page)
            _retention_error(form, error)
        else:
            messages.success(request, f"Accord écrit de conservation enregistré jusqu'au {d['keep_until']:%d/%m/%Y}.")
            return redirect("documents:detail", pk=pk)
    return render(request, "documents/document_detail.html", _detail_context(request, document, retention_form=form), status=400)


RETENTION_ERROR_FIELDS = {
    "retention_agreement_not_written": "method", "retention_method_required": "method",
    "retention_follow_up_need_required": "follow_up_need", "retention_agreement_reference_required": "agreement_reference",
    "retention_agreement_date_required": "agreement_date", "retention_agreement_date_in_future": "agreement_date",
    "retention_until_required": "keep_until", "retention_too_long": "keep_until", "retention_in_past": "keep_until",
}


def _retention_error(form, error: InvalidInput) -> None:
    field = RETENTION_ERROR_FIELDS.get(error.code)
    form.add_error(field if field in form.fields else None, error.message)


@role_required(Role.BENEFICIARY)
@require_POST
def my_document_retain(request, pk):
    """CT-09 (b): the beneficiary agrees online, from their space, to keep a published document."""
    document = selectors.document_get(user=request.user, document_id=pk)
    form = MyRetentionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.document_retain(actor=request.user, document=document, keep_until=d["keep_until"], follow_up_need=d["follow_up_need"])
        except InvalidInput as error:
            _retention_error(form, error)
        else:
            messages.success(request, "Votre accord est enregistré : ce document sera conservé jusqu'à la date choisie, puis détruit.")
            return redirect("documents:detail", pk=pk)
    return _beneficiary_detail(request, document, retention_form=form, status=400)


@staff
@require_POST
def publish_retry(request, pk):
    return _staff_action(request, pk, services.document_publish_retry, "La publication est relancée.")


@staff
def version_detail(request, pk, number):
    document = _staff_document(request.user, pk)
    version = selectors.version_get(document, number)
    return render(request, "documents/version_detail.html", {"document": document, "version": version})


@staff
def version_diff(request, pk):
    document = _staff_document(request.user, pk)
    versions = list(selectors.versions_of(document))
    if not versions:
        raise NotFound("Ce document n'a pas encore de version.", code="version_not_found")
    old = selectors.version_get(document, request.GET.get("de", versions[0].number))
    new = selectors.version_get(document, request.GET.get("a", versions[-1].number))
    html, counts = diff_html(old.content_html, new.content_html)
    return render(request, "documents/diff.html", {"document": document, "versions": versions, "old": old, "new": new, "diff": html, "counts": counts})


@staff
def document_preview(request, pk):
    """The branded rendering of the latest version (shown in a sandboxed frame)."""
    document = _staff_document(request.user, pk)
    version = document.validated_version or selectors.latest_version(document)
    if version is None:
        raise NotFound("Ce document n'a pas encore de contenu.", code="version_not_found")
    response = HttpResponse(rendering.full_html(document, version))
    response["Content-Security-Policy"] = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
    return response


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@members
def document_pdf_view(request, pk):
    document = selectors.document_get(user=request.user, document_id=pk)
    if not document.pdf_sha256:
        raise NotFound("Le PDF n'est pas encore prêt.", code="pdf_not_ready")
    return _pdf_response(services.document_pdf(document), f"{document.doc_type}-{document.pk}.pdf")


@members
def signed_pdf_view(request, pk):
    document = selectors.document_get(user=request.user, document_id=pk)
    envelope = services.sealed_envelope(document)
    if envelope is None or (request.user.role == Role.BENEFICIARY and not envelope.requests.filter(signer=request.user).exists()):
        raise NotFound("Aucun exemplaire signé pour ce document.", code="signed_pdf_not_found")
    return _pdf_response(services.signed_pdf(envelope), f"{document.doc_type}-{document.pk}-signe.pdf")


@staff
@require_POST
def signature_start_view(request, pk):
    """ES-04: the consultant asks every required party to sign (for a convention: the
    beneficiary, the employer through a single-use link, and the organisation)."""
    document = _staff_document(request.user, pk)
    form = SignatureStartForm(request.POST)
    if form.is_valid():
        try:
            services.signature_start(
                actor=request.user, document=document, ordered=form.cleaned_data["ordered"],
                employer_name=form.cleaned_data["employer_name"], employer_email=form.cleaned_data["employer_email"],
            )
        except InvalidInput as error:
            form.add_error("employer_email" if "email" in error.code or "employer" in error.code else None, error.message)
        else:
            messages.success(request, "La signature est lancée : chaque signataire est prévenu à son tour.")
            return redirect("documents:detail", pk=pk)
    return render(request, "documents/document_detail.html", _detail_context(request, document, start_form=form), status=400)


@staff
@require_POST
def signature_link_resend_view(request, pk):
    return _staff_action(request, pk, services.signature_link_resend, "Un nouveau lien de signature a été envoyé à l'employeur ; le précédent ne fonctionne plus.")


@staff
@require_POST
def sign_for_organisation(request, pk):
    """ES-04: an administrator or the bilan's consultant signs for the organisation."""
    document = _staff_document(request.user, pk)
    if request.POST.get("action") == "code":
        services.signature_request_code(signer=request.user, document=document, party=SignatureRequest.Party.ORGANISATION)
        messages.success(request, f"Un code à 6 chiffres vient de vous être envoyé à {request.user.email}. Il est valable 10 minutes.")
        return redirect("documents:detail", pk=pk)
    form = SignatureConfirmForm(request.POST)
    if form.is_valid():
        try:
            services.signature_confirm(
                signer=request.user, document=document, code=form.cleaned_data["code"], consent=form.cleaned_data["consent"],
                ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""), party=SignatureRequest.Party.ORGANISATION,
            )
        except ApplicationError as error:
            form.add_error("code" if "code" in error.code else None, error.message)
        else:
            messages.success(request, "Votre signature pour l'organisme est enregistrée.")
            return redirect("documents:detail", pk=pk)
    return render(request, "documents/document_detail.html", _detail_context(request, document, confirm_form=form), status=400)


def employer_sign(request, token):
    """ES-04: the employer's representative (no account) signs through a single-use link and a
    one-time code sent by e-mail. Public page on the organisation's address."""
    try:
        signature = services.signature_link_request(token)
    except ApplicationError as error:
        return render(request, "documents/employer_sign_closed.html", {"message": error.message}, status=error.status)
    form = SignatureConfirmForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "code":
            try:
                services.signature_link_request_code(token=token)
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"Un code à 6 chiffres vient de vous être envoyé à {signature.signer_email}. Il est valable 10 minutes.")
            return redirect("documents:employer_sign", token=token)
        form = SignatureConfirmForm(request.POST)
        if form.is_valid():
            try:
                services.signature_link_confirm(
                    token=token, code=form.cleaned_data["code"], consent=form.cleaned_data["consent"],
                    ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except ApplicationError as error:
                form.add_error("code" if "code" in error.code else None, error.message)
            else:
                return render(
                    request, "documents/employer_sign_closed.html",
                    {"thanks": True, "message": "Merci, votre signature est enregistrée. Vous recevrez par e-mail l'exemplaire signé et scellé dès que toutes les parties auront signé."},
                )
        status = 400
    signature = services.signature_link_request(token)
    return render(request, "documents/employer_sign.html", {"signature": signature, "document": signature.document, "form": form, "token": token}, status=status)


def employer_document_pdf(request, token):
    """The document to sign, readable by the employer while their link is valid."""
    try:
        signature = services.signature_link_request(token)
    except ApplicationError as error:
        return render(request, "documents/employer_sign_closed.html", {"message": error.message}, status=error.status)
    return _pdf_response(services.document_pdf(signature.document), f"{signature.document.doc_type}-{signature.document.pk}.pdf")


@role_required(Role.BENEFICIARY)
def sign(request, pk):
    """ES-04: the beneficiary asks for a one-time code, then confirms with the code and consent."""
    document = selectors.document_get(user=request.user, document_id=pk)
    if request.method != "POST":
        return redirect("documents:detail", pk=pk)
    if request.POST.get("action") == "code":
        services.signature_request_code(signer=request.user, document=document)
        messages.success(request, f"Un code à 6 chiffres vient de vous être envoyé à {request.user.email}. Il est valable 10 minutes.")
        return redirect("documents:detail", pk=pk)
    form = SignatureConfirmForm(request.POST)
    if form.is_valid():
        try:
            services.signature_confirm(
                signer=request.user, document=document, code=form.cleaned_data["code"], consent=form.cleaned_data["consent"],
                ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except ApplicationError as error:
            form.add_error("code" if "code" in error.code else None, error.message)
        else:
            messages.success(request, "Merci, votre signature est enregistrée. L'exemplaire signé sera disponible dans un instant.")
            return redirect("documents:detail", pk=pk)
    return _beneficiary_detail(request, document, confirm_form=form, status=400)


# --- sealed records: attendance sheet (CPF-07) and consent (CT-04) -----------------------------
RECORD_SLUGS = {"emargement": SealedRecord.Kind.ATTENDANCE, "consentement": SealedRecord.Kind.CONSENT}


def _record_kind(slug: str) -> str:
    if slug not in RECORD_SLUGS:
        raise NotFound("Pièce introuvable.", code="sealed_record_not_found")
    return RECORD_SLUGS[slug]


@members
def sealed_record_download(request, bilan_id, slug):
    try:
        bilan = Bilan.objects.select_related("beneficiary", "consultant").get(pk=bilan_id)
    except (Bilan.DoesNotExist, ValueError, ValidationError):
        raise NotFound("Bilan introuvable.", code="bilan_not_found") from None
    record, data = services.sealed_record_pdf(user=request.user, bilan=bilan, kind=_record_kind(slug))
    return _pdf_response(data, f"{slug}-{bilan.pk}-{record.created_at:%Y%m%d%H%M%S}.pdf")


@staff
@require_POST
def sealed_record_refresh_view(request, bilan_id, slug):
    bilan = _bilan(request.user, bilan_id)
    services.sealed_record_refresh(actor=request.user, bilan=bilan, kind=_record_kind(slug))
    messages.success(request, "La pièce scellée est en préparation : elle sera téléchargeable dans un instant.")
    return redirect("documents:bilan", bilan_id=bilan.pk)


@role_required(Role.BENEFICIARY)
def my_documents(request):
    documents = selectors.document_list(user=request.user)
    bilans = Bilan.objects.filter(beneficiary__user=request.user).order_by("-created_at")
    records = [(bilan, _records(bilan)) for bilan in bilans]
    records = [(bilan, r) for bilan, r in records if r["attendance_record"] or r["consent_record"]]
    return render(request, "documents/my_documents.html", {"documents": documents, "types": TYPES, "records": records})


# --- verification (open to anyone holding a file) -------------------------------------------------
def verify(request):
    result = None
    form = VerifyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and not VerifyUploadThrottle().allow_request(request, None):
        raise TooManyRequests("Trop de vérifications depuis votre connexion : réessayez dans une minute.", code="throttled")
    if request.method == "POST" and form.is_valid():
        try:
            result = services.document_verify(pdf=services.verify_upload_read(form.cleaned_data["file"]))
        except InvalidInput as error:
            form.add_error("file", error.message)
    return render(request, "documents/verify.html", {"form": form, "result": result}, status=400 if form.errors else 200)


# --- administration ---------------------------------------------------------------------------
@admin_only
def settings_edit(request):
    row = selectors.document_settings()
    form = DocumentSettingsForm(request.POST or None, request.FILES or None, initial={"allow_external_ai": row.allow_external_ai, "footer_text": row.footer_text})
    if request.method == "POST" and form.is_valid():
        logo = form.cleaned_data.get("logo")
        try:
            services.document_settings_update(
                actor=request.user, allow_external_ai=form.cleaned_data["allow_external_ai"], footer_text=form.cleaned_data["footer_text"],
                logo=logo.read() if logo else None, logo_content_type=getattr(logo, "content_type", "") if logo else "",
                remove_logo=form.cleaned_data["remove_logo"],
            )
        except ApplicationError as error:
            form.add_error("logo" if "logo" in error.code else None, error.message)
        else:
            messages.success(request, "Réglages des documents enregistrés.")
            return redirect("documents:settings")
    return render(request, "documents/settings.html", {"form": form, "row": row}, status=400 if form.errors else 200)


@admin_only
def template_list(request):
    from bilans.documents.models import DocumentTemplate

    customised = set(DocumentTemplate.objects.values_list("doc_type", flat=True))
    return render(request, "documents/templates.html", {"types": TYPES, "customised": customised})


@admin_only
def template_edit(request, doc_type):
    if doc_type not in TYPES:
        raise NotFound("Type de document inconnu.", code="invalid_document_type")
    current = selectors.template_html(doc_type)
    form = TemplateForm(request.POST or None, initial={"html": current})
    preview = None
    if request.method == "POST":
        if request.POST.get("action") == "reset":
            services.document_template_reset(actor=request.user, doc_type=doc_type)
            messages.success(request, "Le modèle par défaut est rétabli.")
            return redirect("documents:template_edit", doc_type=doc_type)
        if form.is_valid():
            if request.POST.get("action") == "preview":
                preview = _template_preview(doc_type, form.cleaned_data["html"])
            else:
                try:
                    services.document_template_save(actor=request.user, doc_type=doc_type, html=form.cleaned_data["html"])
                except ApplicationError as error:
                    form.add_error("html", error.message)
                else:
                    messages.success(request, "Modèle enregistré.")
                    return redirect("documents:template_edit", doc_type=doc_type)
    if preview is None and not form.errors:
        preview = _template_preview(doc_type, form.data.get("html", current) if form.is_bound else current)
    return render(
        request,
        "documents/template_edit.html",
        {"form": form, "spec": TYPES[doc_type], "doc_type": doc_type, "variables": VARIABLES, "preview": preview, "default": default_template(doc_type)},
        status=400 if form.errors else 200,
    )


def _template_preview(doc_type: str, html: str) -> str:
    """The template filled with a fictitious document, as it will look in the PDF."""
    from bilans.documents.content import sanitise_template
    from bilans.documents.preview import sample_document

    document, version = sample_document(doc_type)
    return rendering.full_html(document, version, template=sanitise_template(html))
