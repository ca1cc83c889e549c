"""API routes of this app under /api/v1/ on an organisation's subdomain."""
from django.urls import path

from plans import api

urlpatterns = [
    path("credits/", api.BalanceView.as_view(), name="credits"),
    path("credits/entries/", api.EntryListView.as_view(), name="credit_entries"),
    path("credits/tariff/", api.TariffView.as_view(), name="credit_tariff"),
    path("credits/bilans/<uuid:bilan_id>/", api.BilanCreditsView.as_view(), name="bilan_credits"),
]
