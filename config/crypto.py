"""Encryption at rest for sensitive fields and files (Fernet: AES-128-CBC + HMAC-SHA256).

The key comes from ``FIELD_ENCRYPTION_KEY`` (a urlsafe base64 Fernet key, ``Fernet.generate_key()``).
Several keys separated by commas allow rotation: the first encrypts, all of them decrypt.
With ``DEBUG`` (or in tests) and no key, a development key is derived from ``SECRET_KEY``; in
production a missing key is refused at first use.

- :class:`EncryptedTextField`: a text column that stores a Fernet token; the Python value is the
  clear text. An empty string is stored as an empty string (nothing to hide, and it keeps
  "is this filled in?" checks possible in SQL).
- :func:`encrypt_bytes` / :func:`decrypt_bytes`: for files (attachments, documents).
- :func:`encrypted_file_save` / :func:`encrypted_file_read`: store / read an encrypted file in the
  default storage.
"""
from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.db import models

TOKEN_PREFIX = "enc1:"


def _development_key() -> bytes:
    digest = hashlib.sha256(("field-encryption:" + settings.SECRET_KEY).encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=4)
def _fernet_for(raw: str, fallback_allowed: bool) -> MultiFernet:
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        if not fallback_allowed:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off (see README).")
        keys = [_development_key().decode()]
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not a valid Fernet key (32 urlsafe base64 bytes).") from exc


def fernet() -> MultiFernet:
    raw = getattr(settings, "FIELD_ENCRYPTION_KEY", "") or ""
    return _fernet_for(raw, bool(settings.DEBUG or getattr(settings, "TESTING", False)))


def encrypt_bytes(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return fernet().decrypt(token)
    except InvalidToken as exc:
        raise ValueError("encrypted data cannot be decrypted with the configured keys") from exc


def encrypt_text(text: str) -> str:
    if not text:
        return ""
    return TOKEN_PREFIX + encrypt_bytes(text.encode()).decode()


def decrypt_text(value: str | None) -> str:
    if not value:
        return ""
    if not value.startswith(TOKEN_PREFIX):  # never stored clear by this code; tolerate legacy rows
        return value
    return decrypt_bytes(value[len(TOKEN_PREFIX):].encode()).decode()


class EncryptedTextField(models.TextField):
    """A TextField whose database value is a Fernet token. Not searchable nor orderable in SQL."""

    description = "Texte chiffré au repos"

    def from_db_value(self, value, expression, connection):
        return decrypt_text(value)

    def to_python(self, value):
        # Python values are always clear text (from_db_value decrypts); never decrypt here, or a
        # clear text that happens to start with the prefix would be misread.
        return value if value is None or isinstance(value, str) else str(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt_text(str(value))


def encrypted_file_save(field_file, name: str, data: bytes) -> None:
    """Encrypt ``data`` and save it through a FileField's file (``instance.file``), without
    saving the instance (the caller saves it in its transaction)."""
    field_file.save(name, ContentFile(encrypt_bytes(data)), save=False)


def encrypted_file_read(field_file) -> bytes:
    field_file.open("rb")
    try:
        return decrypt_bytes(field_file.read())
    finally:
        field_file.close()
