import pytest
from django_tenants.utils import schema_context

from organisations.services import notification_create

pytestmark = pytest.mark.django_db


def test_notification_appears_with_unread_count_and_can_be_marked_read(cast_a):
    with schema_context(cast_a.organisation.schema_name):
        notification_create(recipient=cast_a.consultant, kind="document", title="Un document attend votre validation")
    client = cast_a.client(cast_a.consultant)
    page = client.get("/notifications/")
    assert "Un document attend votre validation" in page.content.decode()
    assert page.context["unread_notifications"] == 1
    client.post("/notifications/")
    assert client.get("/notifications/").context["unread_notifications"] == 0
    # nobody else sees it
    assert "Un document attend" not in cast_a.client(cast_a.other_consultant).get("/notifications/").content.decode()
