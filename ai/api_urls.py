"""API routes of this app under /api/v1/ on an organisation's subdomain (the ROME referential).
The questionnaires API is ``bilans.assessments.api_urls``, included by config/urls_tenant.py."""
from django.urls import path

from ai import api

urlpatterns = [
    path("rome/search/", api.OccupationSearchView.as_view(), name="rome-search"),
    path("rome/occupations/<str:code>/", api.OccupationDetailView.as_view(), name="rome-occupation"),
]
