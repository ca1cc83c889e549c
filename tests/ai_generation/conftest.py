import pytest

from tests.ai_generation.fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai():
    server = FakeOpenAI()
    yield server
    server.close()


@pytest.fixture
def openai_settings(settings, fake_openai):
    """Point the real ``openai`` client at the local server through the settings."""
    settings.AI_PROVIDER = "openai"
    settings.AI_BASE_URL = fake_openai.base_url
    settings.AI_API_KEY = "test-key"
    settings.AI_MODEL = "fake-model"
    settings.AI_TIMEOUT = 1.0
    settings.AI_MAX_RETRIES = 2
    settings.AI_RETRY_BACKOFF = 0.01
    return settings
