"""Who may see what inside one organisation (CT-08: need-to-know access)."""
import pytest

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["/organisation/membres/", "/organisation/journal/"]
CONSULTANT_PAGES = ["/beneficiaires/", "/beneficiaires/nouveau/"]


@pytest.mark.parametrize("path", ADMIN_PAGES + CONSULTANT_PAGES)
def test_beneficiary_gets_403_on_staff_pages(cast_a, path):
    """CT-08: a beneficiary never reaches consultant or administrator pages."""
    response = cast_a.client(cast_a.beneficiary_user).get(path)
    assert response.status_code == 403
    assert "Vous n'avez pas accès" in response.content.decode() or "autorisation" in response.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/users/", "/api/v1/beneficiaries/"])
def test_beneficiary_gets_json_403_on_staff_routes(cast_a, path):
    response = cast_a.client(cast_a.beneficiary_user).get(path)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_beneficiary_cannot_create_a_beneficiary(cast_a):
    response = cast_a.client(cast_a.beneficiary_user).post(
        "/api/v1/beneficiaries/", {"first_name": "X", "last_name": "Y", "email": "x@y.test"}, content_type="application/json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_consultant_gets_403_on_admin_pages(cast_a, path):
    assert cast_a.client(cast_a.consultant).get(path).status_code == 403


def test_consultant_gets_403_on_users_api(cast_a):
    response = cast_a.client(cast_a.consultant).get("/api/v1/users/")
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "detail": response.json()["detail"]}


def test_consultant_cannot_open_unassigned_beneficiary(cast_a):
    """CT-08: a consultant only opens the files assigned to them."""
    client = cast_a.client(cast_a.consultant)
    api = client.get(f"/api/v1/beneficiaries/{cast_a.other_beneficiary.pk}/")
    assert api.status_code == 403
    assert api.json()["code"] == "beneficiary_not_assigned"
    page = client.get(f"/beneficiaires/{cast_a.other_beneficiary.pk}/")
    assert page.status_code == 403


def test_consultant_sees_only_assigned_beneficiaries(cast_a):
    client = cast_a.client(cast_a.consultant)
    ids = {row["id"] for row in client.get("/api/v1/beneficiaries/").json()["results"]}
    assert ids == {str(cast_a.beneficiary.pk)}
    page = client.get("/beneficiaires/").content.decode()
    assert cast_a.beneficiary.last_name in page
    assert cast_a.other_beneficiary.last_name not in page
    assert client.get(f"/api/v1/beneficiaries/{cast_a.beneficiary.pk}/").status_code == 200


def test_reassignment_moves_access(cast_a):
    from django_tenants.utils import schema_context

    from bilans.services import beneficiary_assign_consultant

    with schema_context(cast_a.organisation.schema_name):
        beneficiary_assign_consultant(beneficiary=cast_a.other_beneficiary, consultant=cast_a.consultant, actor=cast_a.admin)
    assert cast_a.client(cast_a.consultant).get(f"/api/v1/beneficiaries/{cast_a.other_beneficiary.pk}/").status_code == 200
    assert cast_a.client(cast_a.other_consultant).get(f"/api/v1/beneficiaries/{cast_a.other_beneficiary.pk}/").status_code == 403


def test_beneficiary_sees_only_own_file(cast_a):
    client = cast_a.client(cast_a.beneficiary_user)
    assert client.get(f"/api/v1/beneficiaries/{cast_a.beneficiary.pk}/").status_code == 200
    assert client.get(f"/api/v1/beneficiaries/{cast_a.other_beneficiary.pk}/").status_code == 403
    page = client.get("/mon-dossier/")
    assert page.status_code == 200 and cast_a.beneficiary.email in page.content.decode()


def test_admin_sees_everything_in_the_organisation(cast_a):
    client = cast_a.client(cast_a.admin)
    assert client.get("/api/v1/beneficiaries/").json()["count"] == 2
    assert client.get("/organisation/membres/").status_code == 200
    assert client.get(f"/beneficiaires/{cast_a.other_beneficiary.pk}/").status_code == 200


def test_consultant_creating_a_beneficiary_is_assigned(cast_a):
    client = cast_a.client(cast_a.consultant)
    response = client.post(
        "/api/v1/beneficiaries/", {"first_name": "Léa", "last_name": "Garnier", "email": "lea@exemple.test"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["consultant_id"] == cast_a.consultant.pk
    assert client.get(f"/api/v1/beneficiaries/{response.json()['id']}/").status_code == 200


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"first_name": "A", "last_name": "B", "email": "pas-un-email"}, "invalid"),
        ({"first_name": "", "last_name": "B", "email": "a@b.test"}, "invalid"),
        ("not json", "parse_error"),
    ],
)
def test_bad_input_gets_clear_400(cast_a, payload, code):
    client = cast_a.client(cast_a.admin)
    if isinstance(payload, str):
        response = client.post("/api/v1/beneficiaries/", payload, content_type="application/json")
    else:
        response = client.post("/api/v1/beneficiaries/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_duplicate_beneficiary_email_is_409(cast_a):
    response = cast_a.client(cast_a.admin).post(
        "/api/v1/beneficiaries/",
        {"first_name": "A", "last_name": "B", "email": cast_a.beneficiary.email.upper()},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "beneficiary_exists"


def test_malformed_ids_are_404_not_500(cast_a):
    client = cast_a.client(cast_a.admin)
    assert client.get("/api/v1/beneficiaries/not-a-uuid/").status_code == 404
    assert client.get("/beneficiaires/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_anonymous_api_is_refused_with_json(cast_a):
    from tests.conftest import client_for

    response = client_for(cast_a.organisation).get("/api/v1/beneficiaries/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
