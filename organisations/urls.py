from django.urls import path

from organisations import views

app_name = "organisations"
urlpatterns = [
    path("membres/", views.members, name="members"),
    path("membres/<int:pk>/activation/", views.member_toggle_active, name="member_toggle_active"),
    path("invitations/<int:pk>/annuler/", views.invitation_revoke_view, name="invitation_revoke"),
    path("journal/", views.audit_log, name="audit"),
    path("jeton-api/", views.api_token, name="api_token"),
]
