"""Search of métiers by appellation: accents, case, typos, synonyms; API and HTML pages."""
from __future__ import annotations

from ai.search import occupation_search
from tests.conftest import client_for


def codes(query, **kwargs):
    return [hit.code_rome for hit in occupation_search(query, **kwargs)]


def test_search_without_accent_finds_developer(rome):
    assert "M1805" in codes("developpeur", limit=20)
    assert codes("DEVELOPPEUR INFORMATIQUE")[0] == "M1805"


def test_search_tolerates_a_typo(rome):
    assert "M1805" in codes("dévelopeur", limit=20)
    assert codes("dévelopeur informatique")[0] == "M1805"
    assert codes("devlopeur web")[0] == "M1855"


def test_search_finds_a_synonym_appellation(rome):
    hits = occupation_search("analyste developpeur")
    assert hits[0].code_rome == "M1805"
    assert hits[0].job_title == "Analyste développeur / Analyste développeuse"
    assert not hits[0].is_principal


def test_search_ignores_too_short_or_unknown_queries(rome):
    assert codes("") == [] and codes("x") == []
    assert codes("zzqxwv") == []


def test_search_api_and_autocomplete(rome, cast_a):
    client = cast_a.client(cast_a.beneficiary_user)
    response = client.get("/api/v1/rome/search/", {"q": "aide soignante"})
    assert response.status_code == 200
    body = response.json()
    assert body["results"][0]["code_rome"] == "J1501"
    assert body["source"] == "Source : France Travail, ROME 4.0 (v460)"
    page = client.get("/metiers/suggestions/", {"q": "boulangé", "mode": "choix", "field": "metier"})
    assert page.status_code == 200
    assert 'name="metier" value="D1102"' in page.content.decode()
    htmx = client.get("/metiers/", {"q": "plombier"}, HTTP_HX_REQUEST="true")
    assert "/metiers/F1603/" in htmx.content.decode() and "<html" not in htmx.content.decode()


def test_search_api_requires_an_account(rome, org_a):
    assert client_for(org_a).get("/api/v1/rome/search/", {"q": "plombier"}).status_code in (401, 403)


def test_fiche_metier_page_shows_the_credit_line(rome, cast_a):
    response = cast_a.client(cast_a.consultant).get("/metiers/M1805/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Développeur / Développeuse informatique" in html
    assert "Source : France Travail, ROME 4.0 (v460)" in html
    assert "Coder" in html and "RIASEC IC" in html and "/metiers/M1802/" in html
    assert cast_a.client(cast_a.consultant).get("/metiers/Z9999/").status_code == 404
    api = cast_a.client(cast_a.consultant).get("/api/v1/rome/occupations/M1805/").json()
    assert api["riasec"] == "IC" and api["mobility"][0]["code_rome"] == "M1802"


def test_public_domain_serves_the_open_referential(rome, public_client):
    response = public_client.get("/metiers/J1501/")
    assert response.status_code == 200
    assert "Source : France Travail, ROME 4.0 (v460)" in response.content.decode()


def test_a_generic_title_ranks_before_narrower_ones(rome):
    assert codes("comptable")[0] == "M1203"  # Comptable, before aide-, expert- and secrétaire comptable
    assert codes("boulanger")[0] == "D1102"  # Boulanger / Boulangère, before chef boulanger
    assert codes("secretaire")[0] == "M1607"


def test_texts_keep_single_apostrophes(rome):
    from ai.models import JobTitle, Occupation

    assert not Occupation.objects.filter(definition__contains="''").exists()
    assert not JobTitle.objects.filter(label__contains="''").exists()
    assert Occupation.objects.filter(definition__contains="d'exploitation forestière").exists()


def test_api_fiche_lists_knowledge_items_like_the_page(rome, cast_a):
    body = cast_a.client(cast_a.consultant).get("/api/v1/rome/occupations/M1805/").json()
    labels = [item["label"] for group in body["knowledge"] for item in group["items"]]
    assert labels, "the fiche has knowledge items"
    page = cast_a.client(cast_a.consultant).get("/metiers/M1805/").content.decode()
    assert all(label.replace("'", "&#x27;") in page or label in page for label in labels[:5])
