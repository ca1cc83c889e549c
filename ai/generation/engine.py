"""``generate()``: one document's structured content from a bilan's data, with its record."""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass

from ai.generation import doctypes
from ai.generation.errors import GenerationError
from ai.generation.providers import BuiltinProvider, OpenAICompatibleProvider, Provider, validation_error
from ai.generation.pseudonymise import Pseudonymiser


@dataclass
class GenerationResult:
    """The structured content (real values restored) and what the generation record keeps."""

    content: dict
    provider: str
    model: str
    prompt_version: str
    input_hash: str
    prompt_tokens: int
    completion_tokens: int
    duration_ms: int
    attempts: int
    repaired: bool
    pseudonymised: bool

    def record(self) -> dict:
        data = asdict(self)
        data.pop("content")
        return data


def input_hash(doc_type: str, prompt_version: str, data: dict) -> str:
    canonical = json.dumps({"type": doc_type, "prompt_version": prompt_version, "data": data}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def provider_from_settings(name: str | None = None) -> Provider:
    from django.conf import settings

    name = (name or settings.AI_PROVIDER or "builtin").lower()
    if name == "openai":
        return OpenAICompatibleProvider.from_settings()
    return BuiltinProvider()


def generate(
    doc_type: str,
    data: dict,
    *,
    entities: dict[str, list[str]] | None = None,
    provider: Provider | None = None,
    allow_external: bool = True,
) -> GenerationResult:
    """Draft ``doc_type`` from ``data``. ``entities`` lists the identifying values to hide from an
    external provider (names, emails, phones, addresses, employers). When ``allow_external`` is
    False (the organisation forbids external AI) the built-in provider is used whatever the
    configuration. Raises :class:`GenerationError` (with ``stats`` for the record)."""
    spec = doctypes.get(doc_type)
    digest = input_hash(doc_type, spec.prompt_version, data)
    if provider is None:
        provider = provider_from_settings() if allow_external else BuiltinProvider()
    elif provider.external and not allow_external:
        provider = BuiltinProvider()
    base = {"provider": provider.name, "model": provider.model, "prompt_version": spec.prompt_version, "input_hash": digest}
    started = time.perf_counter()
    pseudonymiser = Pseudonymiser.from_entities(entities) if provider.external else None
    try:
        payload = pseudonymiser.apply(data) if pseudonymiser else data
        answer = provider.complete(spec, payload)
        content = pseudonymiser.restore(answer.content) if pseudonymiser else answer.content
        error = validation_error(content, spec.schema)  # restored values may be longer
        if error:
            raise GenerationError("Le document produit ne respecte pas la structure attendue.", code="ai_invalid_output")
    except GenerationError as exc:
        exc.stats = {**base, **(exc.stats or {}), "duration_ms": int((time.perf_counter() - started) * 1000)}
        raise
    return GenerationResult(
        content=content,
        provider=provider.name,
        model=answer.model,
        prompt_version=spec.prompt_version,
        input_hash=digest,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        duration_ms=int((time.perf_counter() - started) * 1000),
        attempts=answer.attempts,
        repaired=answer.repaired,
        pseudonymised=pseudonymiser is not None,
    )
