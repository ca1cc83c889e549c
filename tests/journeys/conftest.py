import pytest

from tests.journeys.browser import DESKTOP, PHONE, chromium_page


@pytest.fixture
def page():
    with chromium_page(viewport=DESKTOP) as desktop_page:
        yield desktop_page


@pytest.fixture
def phone_page():
    with chromium_page(viewport=PHONE) as phone:
        yield phone
