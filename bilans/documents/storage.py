"""PDF bytes at rest: encrypted with config.crypto (Fernet) in the organisation's schema.

Stored values start with a one-byte marker: ``E`` encrypted (``P`` plain is still read, for
rows written before encryption was available)."""
from __future__ import annotations

import hashlib
import logging

logger = logging.getLogger(__name__)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seal_bytes(data: bytes) -> bytes:
    from config.crypto import encrypt_bytes

    return b"E" + encrypt_bytes(data)


def open_bytes(stored) -> bytes:
    stored = bytes(stored or b"")
    if not stored:
        return b""
    marker, payload = stored[:1], stored[1:]
    if marker == b"P":
        return payload
    from config.crypto import decrypt_bytes

    return decrypt_bytes(payload)
