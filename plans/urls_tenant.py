"""HTML routes of this app on an organisation's subdomain (included at the root)."""
from django.urls import path

from plans import views

app_name = "plans"
urlpatterns = [
    path("credits/", views.credits_home, name="credits"),
    path("credits/historique/", views.history, name="history"),
    path("credits/bilans/<uuid:bilan_id>/", views.budget_detail, name="budget"),
    path("credits/commander/", views.order_new, name="order_new"),
    path("credits/commandes/<uuid:order_id>/", views.order_detail, name="order"),
    path("credits/commandes/<uuid:order_id>/pro-forma.pdf", views.order_proforma, name="order_proforma"),
    path("credits/portail-de-paiement/", views.portal, name="portal"),
    path("credits/recharge-automatique/", views.auto_topup, name="auto_topup"),
    path("credits/transfert/", views.transfer, name="transfer"),
]
