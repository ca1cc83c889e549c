"""The provider interface and its two implementations.

A provider turns (document type, input data) into the document's structured content. The
engine (:mod:`ai.generation.engine`) validates it, pseudonymises before an external call and
restores after, and measures it.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

import jsonschema

from ai.generation.doctypes import DocumentType
from ai.generation.errors import GenerationError

logger = logging.getLogger(__name__)
QUIET_LOGGERS = ("openai", "openai._base_client", "httpx", "httpx2", "httpcore", "httpcore2")


@dataclass
class ProviderAnswer:
    content: dict
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    attempts: int = 1  # HTTP calls made (retries included)
    repaired: bool = False


@dataclass
class CallStats:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    attempts: int = 0
    repaired: bool = False
    extra: dict = field(default_factory=dict)


class Provider(Protocol):
    name: str
    model: str
    external: bool  # True when data leaves the platform (pseudonymised first)

    def complete(self, spec: DocumentType, data: dict) -> ProviderAnswer: ...


def validation_error(content, schema: dict) -> str | None:
    """None when ``content`` matches ``schema``, else a short English/JSON-path description."""
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(content))
    if error is None:
        return None
    path = "/".join(str(p) for p in error.absolute_path) or "(racine)"
    return f"{path}: {error.message[:300]}"


class BuiltinProvider:
    """Composes the document from the structured data, offline (:mod:`ai.generation.builtin`)."""

    name = "builtin"
    model = "builtin-composer"
    external = False

    def complete(self, spec: DocumentType, data: dict) -> ProviderAnswer:
        from ai.generation.builtin import compose

        content = compose(spec, data)
        error = validation_error(content, spec.schema)
        if error:  # a bug of ours, not a user error
            raise GenerationError("Le moteur intégré a produit un document incomplet.", code="ai_invalid_output", stats={"detail": error})
        return ProviderAnswer(content=content, model=self.model)


class OpenAICompatibleProvider:
    """Any endpoint speaking the OpenAI chat-completions protocol (OpenAI, Mistral, Albert,
    Ollama, vLLM…), through the ``openai`` client. JSON mode, the schema in the system prompt,
    local validation with ``jsonschema``, one repair round, retries with exponential backoff on
    429, 5xx and connection errors; a timeout fails at once (a hung model would hold the worker)."""

    name = "openai"
    external = True

    def __init__(self, *, base_url: str, api_key: str, model: str, timeout: float = 60.0, max_retries: int = 3, backoff: float = 1.0):
        if not base_url or not model:
            raise GenerationError("Le fournisseur d'IA externe n'est pas configuré (AI_BASE_URL, AI_MODEL).", code="ai_not_configured")
        import openai

        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        # Our own retry loop (below) so that the policy is explicit and measured.
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=0)
        # The client logs request bodies (our prompts) at DEBUG: never let them reach the logs.
        for name in QUIET_LOGGERS:
            if logging.getLogger(name).getEffectiveLevel() < logging.WARNING:
                logging.getLogger(name).setLevel(logging.WARNING)

    @classmethod
    def from_settings(cls) -> OpenAICompatibleProvider:
        from django.conf import settings

        return cls(
            base_url=settings.AI_BASE_URL,
            api_key=settings.AI_API_KEY,
            model=settings.AI_MODEL,
            timeout=settings.AI_TIMEOUT,
            max_retries=settings.AI_MAX_RETRIES,
            backoff=settings.AI_RETRY_BACKOFF,
        )

    # --- one HTTP call with retries -------------------------------------------------------------
    def _call(self, messages: list[dict], stats: CallStats):
        import openai

        last_error = "ai_unavailable"
        for attempt in range(self.max_retries + 1):
            stats.attempts += 1
            try:
                response = self.client.chat.completions.create(
                    model=self.model,
                    messages=messages,
                    response_format={"type": "json_object"},
                    temperature=0.2,
                )
            except openai.APITimeoutError:
                raise GenerationError(
                    f"Le service d'IA n'a pas répondu dans le délai imparti ({self.timeout:g} s). Réessayez plus tard.",
                    code="ai_timeout",
                    stats=stats.__dict__,
                ) from None
            except openai.RateLimitError as exc:
                last_error = "ai_rate_limited"
                wait = self._retry_after(exc, attempt)
            except openai.APIStatusError as exc:
                if exc.status_code < 500:
                    raise GenerationError(
                        f"Le service d'IA a refusé la demande (code HTTP {exc.status_code}). Vérifiez sa configuration.",
                        code="ai_unavailable",
                        stats=stats.__dict__,
                    ) from None
                last_error = "ai_unavailable"
                wait = self._retry_after(exc, attempt)
            except openai.APIConnectionError:
                last_error = "ai_unavailable"
                wait = self.backoff * (2**attempt)
            else:
                usage = getattr(response, "usage", None)
                if usage is not None:
                    stats.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
                    stats.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
                choice = response.choices[0] if response.choices else None
                return (choice.message.content if choice and choice.message else "") or ""
            if attempt < self.max_retries:
                logger.info("AI endpoint answered %s, retry %s in %.2f s", last_error, attempt + 1, wait)
                time.sleep(wait)
        message = (
            "Le service d'IA est saturé (trop de demandes). Réessayez dans quelques minutes."
            if last_error == "ai_rate_limited"
            else "Le service d'IA est indisponible. Réessayez plus tard."
        )
        raise GenerationError(message, code=last_error, stats=stats.__dict__)

    def _retry_after(self, exc, attempt: int) -> float:
        wait = self.backoff * (2**attempt)
        try:
            header = exc.response.headers.get("retry-after")
            if header is not None:
                wait = max(wait, min(float(header), 30.0))
        except (AttributeError, ValueError):
            pass
        return wait

    @staticmethod
    def _parse(text: str, schema: dict) -> tuple[dict | None, str | None]:
        text = (text or "").strip()
        if text.startswith("```"):  # some models wrap JSON in a fence despite JSON mode
            text = text.strip("`")
            text = text[4:] if text.lower().startswith("json") else text
        try:
            content = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, f"JSON invalide : {exc.msg} (position {exc.pos})"
        error = validation_error(content, schema)
        return (None, error) if error else (content, None)

    def complete(self, spec: DocumentType, data: dict) -> ProviderAnswer:
        stats = CallStats()
        messages = [
            {"role": "system", "content": spec.system_prompt + "\nSchéma JSON de la réponse :\n" + json.dumps(spec.schema, ensure_ascii=False)},
            {"role": "user", "content": "Données du bilan (JSON) :\n" + json.dumps(data, ensure_ascii=False)},
        ]
        text = self._call(messages, stats)
        content, error = self._parse(text, spec.schema)
        if error:
            stats.repaired = True
            messages += [
                {"role": "assistant", "content": text[:20000]},
                {
                    "role": "user",
                    "content": f"Ta réponse n'est pas valide ({error}). Renvoie uniquement l'objet JSON complet, corrigé et conforme au schéma.",
                },
            ]
            text = self._call(messages, stats)
            content, error = self._parse(text, spec.schema)
            if error:
                raise GenerationError(
                    "Le service d'IA n'a pas produit un document valide, même après une demande de correction. "
                    "Relancez la génération ou utilisez le moteur intégré.",
                    code="ai_invalid_output",
                    stats=stats.__dict__,
                )
        return ProviderAnswer(
            content=content,
            model=self.model,
            prompt_tokens=stats.prompt_tokens,
            completion_tokens=stats.completion_tokens,
            attempts=stats.attempts,
            repaired=stats.repaired,
        )
