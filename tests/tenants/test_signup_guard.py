"""Signup is costly (a schema, trial credits): it needs a solved proof-of-work challenge, each
challenge works once, and one address cannot create more than SIGNUP_RATE_PER_HOUR spaces."""
import pytest
from django.test import override_settings

from tenants.models import Organisation
from tenants.signup_guard import pow_solve
from tests.tenants.test_signup import VALID, signup_post

pytestmark = pytest.mark.django_db


def test_a_form_without_the_solved_challenge_creates_nothing(public_client):
    challenge = public_client.get("/inscription/").context["challenge"]
    for solution in ("", "abc", "1"):
        response = public_client.post("/inscription/", {**VALID, "challenge": challenge, "solution": solution})
        assert response.status_code == 400
        assert "vérification anti-robot" in response.content.decode()
    forged = public_client.post("/inscription/", {**VALID, "challenge": "faux", "solution": "0"})
    assert forged.status_code == 400
    assert not Organisation.objects.filter(slug="cabinet-horizon").exists()


def test_a_solved_challenge_works_once(public_client):
    challenge = public_client.get("/inscription/").context["challenge"]
    solution = str(pow_solve(challenge))
    assert public_client.post("/inscription/", {**VALID, "challenge": challenge, "solution": solution}).status_code == 302
    again = public_client.post("/inscription/", {**VALID, "slug": "autre-horizon", "email": "autre@horizon.test", "challenge": challenge, "solution": solution})
    assert again.status_code == 400 and "déjà été envoyé" in again.content.decode()
    assert not Organisation.objects.filter(slug="autre-horizon").exists()


@override_settings(SIGNUP_RATE_PER_HOUR=2)
def test_an_address_is_limited_to_a_few_signups_per_hour(public_client):
    assert signup_post(public_client, slug="premier-cabinet", email="un@horizon.test").status_code == 302
    assert signup_post(public_client, slug="deuxieme-cabinet", email="deux@horizon.test").status_code == 302
    third = signup_post(public_client, slug="troisieme-cabinet", email="trois@horizon.test")
    assert third.status_code == 429
    assert "Trop de créations" in third.content.decode()
    assert not Organisation.objects.filter(slug="troisieme-cabinet").exists()
    other_address = signup_post(public_client, slug="quatrieme-cabinet", email="quatre@horizon.test", meta={"REMOTE_ADDR": "203.0.113.9"})
    assert other_address.status_code == 302
