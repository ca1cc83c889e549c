"""The generation library against a local server speaking the OpenAI chat-completions protocol,
with the real ``openai`` client, and the built-in provider."""
from __future__ import annotations

import json
import time

import pytest

from ai.generation import TYPES, BuiltinProvider, GenerationError, OpenAICompatibleProvider, Pseudonymiser, generate, provider_from_settings
from tests.ai_generation.fake_openai import status_reply, slow_reply, text_reply, valid_reply

DATA = {
    "organisation": {"name": "Alpha Bilans"},
    "beneficiary": {
        "first_name": "Marie", "last_name": "Dupont", "job_title": "comptable", "employer": "Boulangeries Martin SA",
        "career_summary": "Marie Dupont travaille chez Boulangeries Martin SA ; joignable au 06 12 34 56 78 ou marie.dupont@mail.test, "
        "domiciliée 12 rue des Lilas, 69003 Lyon.",
    },
    "consultant": {"name": "Paul Bernard"},
    "objectives": ["Quitter Boulangeries Martin SA pour un poste de contrôleur de gestion"],
    "competences": ["Comptabilité générale", "Tableurs"],
    "assessments": [{"name": "RIASEC", "scores": [{"label": "Conventionnel", "value": 9, "max": 10}, {"label": "Social", "value": 4, "max": 10}]}],
    "career_options": [{"title": "Contrôleur de gestion", "code_rome": "M1204", "score": 81, "rationale": "Proche du métier actuel."}],
}
ENTITIES = {
    "names": ["Marie Dupont", "Marie", "Dupont", "Paul Bernard"],
    "emails": ["marie.dupont@mail.test"],
    "phones": ["06 12 34 56 78"],
    "addresses": ["12 rue des Lilas, 69003 Lyon"],
    "employers": ["Boulangeries Martin SA"],
}
SECRETS = ["Marie", "Dupont", "Paul Bernard", "marie.dupont@mail.test", "06 12 34 56 78", "12 rue des Lilas", "Boulangeries Martin"]


def _provider(fake, **kwargs) -> OpenAICompatibleProvider:
    options = {"timeout": 1.0, "max_retries": 2, "backoff": 0.01, **kwargs}
    return OpenAICompatibleProvider(base_url=fake.base_url, api_key="test-key", model="fake-model", **options)


def test_success_records_provider_model_prompt_version_hash_tokens_and_duration(fake_openai):
    fake_openai.program(valid_reply)
    result = generate("synthesis", DATA, entities=ENTITIES, provider=_provider(fake_openai))
    assert result.provider == "openai" and result.model == "fake-model"
    assert result.prompt_version == TYPES["synthesis"].prompt_version
    assert len(result.input_hash) == 64
    assert (result.prompt_tokens, result.completion_tokens) == (120, 80)
    assert result.attempts == 1 and not result.repaired and result.pseudonymised
    assert result.duration_ms >= 0
    assert {s["key"] for s in result.content["sections"]} >= {"circumstances", "competences", "project", "conditions_means"}
    request = json.loads(fake_openai.requests[0])
    assert request["model"] == "fake-model" and request["response_format"] == {"type": "json_object"}


def test_placeholders_never_reach_the_server_and_are_restored(fake_openai):
    fake_openai.program(valid_reply)
    result = generate("synthesis", DATA, entities=ENTITIES, provider=_provider(fake_openai))
    sent = fake_openai.requests[0]
    for secret in SECRETS:
        assert secret not in sent, secret
    assert "[PERSONNE_1]" in sent and "[EMPLOYEUR_1]" in sent and "[EMAIL_1]" in sent and "[TELEPHONE_1]" in sent and "[ADRESSE_1]" in sent
    text = json.dumps(result.content, ensure_ascii=False)
    assert "Marie Dupont" in text and "Paul Bernard" in text
    assert "[PERSONNE_" not in text and "[EMPLOYEUR_" not in text


def test_invalid_json_then_repaired(fake_openai):
    fake_openai.program(text_reply("Voici le document : {pas du JSON"), valid_reply)
    result = generate("action_plan", DATA, entities=ENTITIES, provider=_provider(fake_openai))
    assert result.repaired and result.attempts == 2
    assert len(fake_openai.requests) == 2
    repair = json.loads(fake_openai.requests[1])["messages"]
    assert repair[-1]["role"] == "user" and "pas valide" in repair[-1]["content"]
    assert result.content["actions"]
    assert (result.prompt_tokens, result.completion_tokens) == (240, 160)


def test_valid_json_but_wrong_schema_is_also_repaired(fake_openai):
    fake_openai.program(text_reply(json.dumps({"title": "Plan", "sections": []})), valid_reply)
    result = generate("action_plan", DATA, entities=ENTITIES, provider=_provider(fake_openai))
    assert result.repaired


def test_invalid_twice_is_a_clear_failure(fake_openai):
    fake_openai.program(text_reply("non"), text_reply('{"title": "x"}'))
    with pytest.raises(GenerationError) as caught:
        generate("synthesis", DATA, entities=ENTITIES, provider=_provider(fake_openai))
    assert caught.value.code == "ai_invalid_output"
    assert "même après une demande de correction" in caught.value.message
    assert len(fake_openai.requests) == 2
    assert caught.value.stats["provider"] == "openai" and caught.value.stats["attempts"] == 2


def test_timeout_fails_fast_with_a_clear_reason(fake_openai):
    fake_openai.program(slow_reply(3))
    started = time.perf_counter()
    with pytest.raises(GenerationError) as caught:
        generate("information", DATA, entities=ENTITIES, provider=_provider(fake_openai, timeout=0.5))
    assert caught.value.code == "ai_timeout"
    assert "délai" in caught.value.message
    assert time.perf_counter() - started < 2.5
    assert len(fake_openai.requests) == 1


def test_429_then_success_is_retried_with_backoff(fake_openai):
    fake_openai.program(status_reply(429, {"Retry-After": "0"}), valid_reply)
    result = generate("information", DATA, entities=ENTITIES, provider=_provider(fake_openai))
    assert result.attempts == 2
    assert len(fake_openai.requests) == 2


def test_5xx_until_retries_are_exhausted(fake_openai):
    fake_openai.program(status_reply(503))
    with pytest.raises(GenerationError) as caught:
        generate("information", DATA, entities=ENTITIES, provider=_provider(fake_openai, max_retries=2))
    assert caught.value.code == "ai_unavailable"
    assert len(fake_openai.requests) == 3  # first call + 2 retries


def test_persistent_429_is_reported_as_rate_limited(fake_openai):
    fake_openai.program(status_reply(429))
    with pytest.raises(GenerationError) as caught:
        generate("information", DATA, entities=ENTITIES, provider=_provider(fake_openai, max_retries=1))
    assert caught.value.code == "ai_rate_limited"


def test_4xx_is_not_retried(fake_openai):
    fake_openai.program(status_reply(401))
    with pytest.raises(GenerationError) as caught:
        generate("information", DATA, entities=ENTITIES, provider=_provider(fake_openai))
    assert caught.value.code == "ai_unavailable" and "401" in caught.value.message
    assert len(fake_openai.requests) == 1


def test_settings_select_the_openai_provider(openai_settings, fake_openai):
    fake_openai.program(valid_reply)
    provider = provider_from_settings()
    assert isinstance(provider, OpenAICompatibleProvider)
    result = generate("consent", DATA, entities=ENTITIES)
    assert result.provider == "openai" and len(fake_openai.requests) == 1


def test_forbidden_external_ai_uses_the_builtin_provider_and_sends_nothing(openai_settings, fake_openai):
    result = generate("consent", DATA, entities=ENTITIES, allow_external=False)
    assert result.provider == "builtin" and not result.pseudonymised
    result = generate("consent", DATA, entities=ENTITIES, provider=_provider(fake_openai), allow_external=False)
    assert result.provider == "builtin"
    assert fake_openai.requests == []


def test_builtin_is_the_default(settings):
    settings.AI_PROVIDER = "builtin"
    assert isinstance(provider_from_settings(), BuiltinProvider)


@pytest.mark.parametrize("doc_type", list(TYPES))
def test_builtin_provider_produces_every_document_type(doc_type):
    result = generate(doc_type, DATA, entities=ENTITIES, provider=BuiltinProvider())
    assert result.provider == "builtin" and result.prompt_tokens == 0
    assert result.content["title"] and result.content["sections"]


@pytest.mark.parametrize("doc_type", list(TYPES))
def test_builtin_provider_works_with_almost_no_data(doc_type):
    generate(doc_type, {"beneficiary": {"first_name": "A", "last_name": "B"}}, provider=BuiltinProvider())


def test_input_hash_changes_with_data_and_prompt_version():
    a = generate("information", DATA, provider=BuiltinProvider()).input_hash
    b = generate("information", {**DATA, "objectives": ["autre"]}, provider=BuiltinProvider()).input_hash
    assert a != b and a == generate("information", DATA, provider=BuiltinProvider()).input_hash


def test_pseudonymiser_catches_unknown_emails_and_phones_in_free_text():
    p = Pseudonymiser.from_entities({"names": ["Jean Valjean"]})
    text = p.text("Jean Valjean (jean@exemple.fr, +33 6 11 22 33 44) a vu Jean hier ; Valjean aussi.")
    assert "jean@exemple.fr" not in text and "6 11 22 33 44" not in text and "Jean Valjean" not in text
    assert p.restore_text(text).startswith("Jean Valjean (jean@exemple.fr, +33 6 11 22 33 44)")


def test_pseudonymiser_replaces_the_parts_of_an_address_on_their_own():
    """A street or a city written alone identifies the person too: never sent, restored after."""
    p = Pseudonymiser.from_entities({"addresses": ["12 rue des Lilas, 69003 Lyon"]})
    text = p.text("Habite 12 rue des Lilas ; souhaite rester à Lyon (69003) ou proche de 12 rue des lilas, 69003 Lyon.")
    for leaked in ("Lilas", "lilas", "Lyon", "69003"):
        assert leaked not in text, text
    assert p.restore_text(text) == "Habite 12 rue des Lilas ; souhaite rester à Lyon (69003) ou proche de 12 rue des Lilas, 69003 Lyon."


def test_unknown_document_type_is_refused():
    with pytest.raises(GenerationError) as caught:
        generate("nope", DATA, provider=BuiltinProvider())
    assert caught.value.code == "ai_unknown_type"


def test_no_prompt_or_answer_reaches_the_logs(fake_openai, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    fake_openai.program(text_reply("pas du JSON"), valid_reply)
    generate("synthesis", DATA, entities=ENTITIES, provider=_provider(fake_openai))
    assert "contrôleur de gestion" not in caplog.text.lower()
    assert "Comptabilité générale" not in caplog.text and "pas du JSON" not in caplog.text
