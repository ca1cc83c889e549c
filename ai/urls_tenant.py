"""HTML routes of this app on an organisation's subdomain (included at the root): the ROME
referential pages (names: ``rome_occupations`` …). The questionnaires and career options are
``bilans.assessments.urls``, included by config/urls_tenant.py."""
from django.urls import path

from ai import views

urlpatterns = [
    path("metiers/", views.occupation_search_view, name="rome_occupations"),
    path("metiers/suggestions/", views.occupation_suggestions_view, name="rome_occupation_suggestions"),
    path("metiers/<str:code>/", views.occupation_detail_view, name="rome_occupation"),
]
