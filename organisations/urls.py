from django.urls import path

from organisations import views
from organisations.profile import views as profile_views

app_name = "organisations"
urlpatterns = [
    path("membres/", views.members, name="members"),
    path("membres/<int:pk>/activation/", views.member_toggle_active, name="member_toggle_active"),
    path("invitations/<int:pk>/annuler/", views.invitation_revoke_view, name="invitation_revoke"),
    path("journal/", views.audit_log, name="audit"),
    path("jeton-api/", views.api_token, name="api_token"),
    path("profil/", profile_views.profile_edit, name="profile"),
    path("image/", profile_views.branding_edit, name="branding"),
    path("logo/<str:version>/", profile_views.logo, name="logo"),
    path("page-publique/", profile_views.public_page_edit, name="public_page"),
    path("demandes/", profile_views.contact_requests, name="contact_requests"),
    path("demandes/<int:pk>/traitee/", profile_views.contact_request_handled, name="contact_request_handled"),
]
