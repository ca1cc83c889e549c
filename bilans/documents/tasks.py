"""Background jobs of documents (run in the enqueuing organisation's schema)."""
import dramatiq
from django.core.mail import send_mail


@dramatiq.actor(max_retries=0, time_limit=15 * 60 * 1000)
def generate_document(document_id: str, actor_id: int | None = None) -> None:
    from bilans.documents.services import document_generate

    document_generate(document_id=document_id, actor_id=actor_id)


@dramatiq.actor(max_retries=3, min_backoff=5_000, time_limit=10 * 60 * 1000)
def publish_document(document_id: str) -> None:
    from bilans.documents.services import document_publish

    document_publish(document_id=document_id)


@dramatiq.actor(max_retries=3, min_backoff=5_000)
def seal_signature(envelope_id: str) -> None:
    """Seal a document once every party signed (one PAdES seal, one proof sheet)."""
    from bilans.documents.services import signature_seal

    signature_seal(envelope_id=envelope_id)


@dramatiq.actor(max_retries=3, min_backoff=5_000, time_limit=5 * 60 * 1000)
def seal_attendance_sheet(bilan_id: str) -> None:
    from bilans.documents.services import attendance_sheet_seal

    attendance_sheet_seal(bilan_id=bilan_id)


@dramatiq.actor(max_retries=3, min_backoff=5_000, time_limit=5 * 60 * 1000)
def seal_consent_record(bilan_id: str) -> None:
    from bilans.documents.services import consent_record_seal

    consent_record_seal(bilan_id=bilan_id)


@dramatiq.actor(max_retries=5, min_backoff=10_000)
def send_signature_code(request_id: str, code: str) -> None:
    from bilans.documents.models import SignatureRequest
    from tenants.selectors import current_organisation

    request = SignatureRequest.objects.select_related("document").filter(pk=request_id, status=SignatureRequest.Status.PENDING).first()
    if request is None or not request.signer_email:
        return
    organisation = current_organisation()
    where = "depuis le lien de signature reçu" if request.party == SignatureRequest.Party.EMPLOYER else "dans votre espace"
    send_mail(
        subject=f"Votre code de signature : {code}",
        message=(
            f"Bonjour,\n\nVoici votre code pour signer le document « {request.document.title} » "
            f"{where} {organisation.name if organisation else ''} : {code}\n\n"
            "Ce code est valable 10 minutes. Si vous n'avez pas demandé à signer ce document, ignorez ce message.\n"
        ),
        from_email=None,
        recipient_list=[request.signer_email],
    )


def _employer_url(path: str) -> str:
    from bilans.documents.selectors import current_organisation
    from tenants.selectors import organisation_url

    organisation = current_organisation()
    return organisation_url(organisation, path) if organisation is not None else path


@dramatiq.actor(max_retries=5, min_backoff=10_000)
def send_signature_link(request_id: str, token: str) -> None:
    """The employer's single-use signature link (no account)."""
    from bilans.documents.models import SignatureRequest
    from bilans.documents.selectors import current_organisation

    request = SignatureRequest.objects.select_related("document").filter(pk=request_id, status=SignatureRequest.Status.PENDING).first()
    if request is None or not request.signer_email:
        return
    organisation = current_organisation()
    name = organisation.name if organisation else ""
    expires = request.link_expires_at.strftime("%d/%m/%Y") if request.link_expires_at else ""
    send_mail(
        subject=f"Document à signer : {request.document.title}",
        message=(
            f"Bonjour {request.signer_name},\n\n{name} vous invite à signer électroniquement le document "
            f"« {request.document.title} » pour l'employeur.\n\nOuvrez ce lien personnel, valable une seule fois "
            f"jusqu'au {expires} : {_employer_url(f'/signature/{token}/')}\n\n"
            "Un code à usage unique vous sera envoyé par e-mail pour confirmer votre signature. "
            "Ne transférez pas ce message.\n"
        ),
        from_email=None,
        recipient_list=[request.signer_email],
    )


@dramatiq.actor(max_retries=5, min_backoff=10_000)
def send_signed_copy(request_id: str) -> None:
    """The employer has no account: their copy of the sealed document is sent by e-mail."""
    from django.core.mail import EmailMessage

    from bilans.documents.models import SignatureRequest
    from bilans.documents.storage import open_bytes

    request = SignatureRequest.objects.select_related("envelope", "document").filter(pk=request_id, status=SignatureRequest.Status.SEALED).first()
    if request is None or request.envelope is None or not request.envelope.signed_pdf or not request.signer_email:
        return
    message = EmailMessage(
        subject=f"Document signé : {request.document.title}",
        body=(
            f"Bonjour {request.signer_name},\n\nToutes les parties ont signé le document « {request.document.title} ». "
            "Vous trouverez ci-joint l'exemplaire signé et scellé, avec sa feuille de preuve.\n"
        ),
        to=[request.signer_email],
    )
    message.attach(f"{request.document.doc_type}-signe.pdf", open_bytes(request.envelope.signed_pdf), "application/pdf")
    message.send()
