"""Document generation: a pure library (no views, HTTP routes or templates).

- :func:`generate` drafts one document type from a bilan's structured data and returns the
  content with what a generation record keeps (provider, model, prompt version, input hash,
  tokens, duration);
- two providers share one interface: :class:`BuiltinProvider` (default, offline) and
  :class:`OpenAICompatibleProvider` (``AI_PROVIDER=openai``, ``AI_BASE_URL``, ``AI_API_KEY``,
  ``AI_MODEL``, ``AI_TIMEOUT``);
- :class:`Pseudonymiser` hides identifying values before an external call and restores them;
- :mod:`ai.generation.doctypes` holds each type's label, prompt, version, schema and tariff code.

Nothing here logs a prompt or an answer: the caller stores what it needs in the organisation's
schema.
"""
from ai.generation.doctypes import CHOICES, TYPES, DocumentType
from ai.generation.engine import GenerationResult, generate, input_hash, provider_from_settings
from ai.generation.errors import GenerationError
from ai.generation.providers import BuiltinProvider, OpenAICompatibleProvider, Provider
from ai.generation.pseudonymise import Pseudonymiser

__all__ = [
    "CHOICES", "TYPES", "DocumentType", "GenerationResult", "generate", "input_hash", "provider_from_settings",
    "GenerationError", "BuiltinProvider", "OpenAICompatibleProvider", "Provider", "Pseudonymiser",
]
