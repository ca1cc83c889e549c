"""URLs of the bare platform domain: public site, signup, staff console."""
from django.urls import include, path

from config.views import healthz
from tenants import console, views

console_patterns = (
    [
        path("", console.organisations, name="organisations"),
        path("organisations/nouvelle/", console.organisation_new, name="organisation_new"),
        path("organisations/<int:pk>/", console.organisation_detail, name="organisation"),
        path("organisations/<int:pk>/suspendre/", console.organisation_suspend_view, name="organisation_suspend"),
        path("organisations/<int:pk>/reactiver/", console.organisation_reactivate_view, name="organisation_reactivate"),
        path("journal/", console.audit_log, name="audit"),
    ],
    "console",
)

urlpatterns = [
    path("", views.landing, name="landing"),
    path("tarifs/", views.pricing, name="pricing"),
    path("mentions-legales/", views.legal_page("public/legal.html"), name="legal"),
    path("confidentialite/", views.legal_page("public/privacy.html"), name="privacy"),
    path("accessibilite/", views.legal_page("public/accessibility.html"), name="accessibility"),
    path("inscription/", views.signup, name="signup"),
    path("inscription/verifier-adresse/", views.signup_check_slug, name="signup_check_slug"),
    path("console/", include(console_patterns)),
    path("", include("plans.urls_public")),
    path("", include("ai.urls_public")),
    path("accounts/", include("allauth.urls")),
    path("healthz", healthz, name="healthz"),
]
