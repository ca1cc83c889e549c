"""PAdES sealing and verification with pyHanko.

The certificate: a PKCS#12 file from ``SIGNING_PKCS12_PATH`` / ``SIGNING_PKCS12_PASSWORD`` in
production; with DEBUG (or in tests) and no file, a self-signed development certificate is
generated once with ``cryptography`` under ``MEDIA_ROOT/signing/``.
"""
from __future__ import annotations

import datetime
import io
import threading
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEV_PASSWORD = b"development-only"
_lock = threading.Lock()


def _generate_dev_pkcs12(path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{settings.PLATFORM_NAME} – certificat de développement"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.PLATFORM_NAME),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        ]
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(b"dev", key, cert, None, serialization.BestAvailableEncryption(DEV_PASSWORD))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _pkcs12_location() -> tuple[Path, bytes]:
    if settings.SIGNING_PKCS12_PATH:
        return Path(settings.SIGNING_PKCS12_PATH), (settings.SIGNING_PKCS12_PASSWORD or "").encode()
    if not (settings.DEBUG or getattr(settings, "TESTING", False)):
        raise ImproperlyConfigured("SIGNING_PKCS12_PATH must point to the sealing certificate when DEBUG is off (see README).")
    path = Path(settings.MEDIA_ROOT) / "signing" / "dev-signing.p12"
    with _lock:
        if not path.exists():
            _generate_dev_pkcs12(path)
    return path, DEV_PASSWORD


@lru_cache(maxsize=2)
def _signer_for(path: str, password: bytes, mtime: float):
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load_pkcs12(path, passphrase=password or None)
    if signer is None:
        raise ImproperlyConfigured("The sealing PKCS#12 file cannot be read (path or password).")
    return signer


def signer():
    path, password = _pkcs12_location()
    return _signer_for(str(path), password, path.stat().st_mtime)


def seal(pdf: bytes, *, reason: str, location: str = "France", contact: str = "") -> bytes:
    """Add a PAdES B-B signature covering the whole file."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name="Scellement",
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason[:200],
        location=location,
        contact_info=contact or None,
    )
    return signers.sign_pdf(writer, meta, signer=signer()).getvalue()


def verify(pdf: bytes) -> dict:
    """Integrity of a sealed PDF: ``{"signed", "intact", "valid", "trusted", "covers_whole_file",
    "signer", "signed_at", "ok"}``. ``ok`` is True only if the last signature is intact, made by
    our sealing certificate and covers the whole file (nothing appended after sealing)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    result = {"signed": False, "intact": False, "valid": False, "trusted": False, "covers_whole_file": False, "signer": "", "signed_at": None, "ok": False}
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # a damaged file is simply not valid
        return result
    if not signatures:
        return result
    result["signed"] = True
    own = signer().signing_cert
    context = ValidationContext(trust_roots=[own], allow_fetching=False)
    try:
        status = validate_pdf_signature(signatures[-1], context)
    except Exception:
        return result
    result.update(
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else "",
        signed_at=status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
    )
    result["ok"] = result["intact"] and result["valid"] and result["trusted"] and result["covers_whole_file"]
    return result
