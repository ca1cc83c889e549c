"""URLs of an organisation's subdomain. Each app owns its routes in its own urls modules."""
from django.urls import include, path

from config.api_docs import ApiDocsView, ApiSchemaView
from config.views import healthz
from organisations import views as organisations_views
from organisations.profile import views as profile_views
from tenants.views import login_handoff

api_v1 = (
    [
        path("", include("organisations.api_urls")),
        path("", include("bilans.api_urls")),
        path("", include("bilans.documents.api_urls")),
        path("", include("bilans.billing.api_urls")),
        path("", include("plans.api_urls")),
        path("", include("ai.api_urls")),
        path("", include("bilans.assessments.api_urls")),
    ],
    "api",
)

urlpatterns = [
    path("", profile_views.root, name="home"),
    path("", include("organisations.profile.urls")),
    path("organisation/", include("organisations.urls")),
    path("notifications/", organisations_views.notifications, name="notifications"),
    path("", include("bilans.urls")),
    path("", include("bilans.documents.urls")),
    path("", include("bilans.billing.urls")),
    path("", include("bilans.quality.urls")),
    path("", include("bilans.rgpd.urls")),
    path("", include("plans.urls_tenant")),
    path("", include("ai.urls_tenant")),
    path("", include("bilans.assessments.urls")),
    path("invitations/<str:token>/", organisations_views.invitation_accept_view, name="invitation_accept"),
    path("connexion/relais/<str:token>/", login_handoff, name="login_handoff"),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", ApiSchemaView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
]
