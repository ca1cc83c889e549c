"""Routes of this app on the bare platform domain (included at the root): the Stripe webhook
and the staff console's credit pages."""
from django.urls import include, path

from plans import console, webhook

console_patterns = (
    [
        path("", console.organisations, name="organisations"),
        path("organisations/<int:pk>/", console.organisation_ledger, name="organisation"),
        path("commandes/<uuid:order_id>/payee/", console.order_mark_paid, name="order_paid"),
        path("regles/", console.rules, name="rules"),
        path("offre/", console.catalogue, name="catalogue"),
        path("offre/formules/<slug:code>/", console.plan_edit, name="plan_edit"),
        path("offre/packs/<slug:code>/", console.pack_edit, name="pack_edit"),
        path("offre/forfaits/<slug:code>/", console.forfait_edit, name="forfait_edit"),
    ],
    "plans_console",
)

urlpatterns = [
    path("stripe/webhook/", webhook.stripe_webhook, name="stripe_webhook"),
    path("console/credits/", include(console_patterns)),
]
