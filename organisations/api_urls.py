from django.urls import path

from organisations import api
from organisations.profile import api as profile_api

urlpatterns = [
    path("me/", api.CurrentUserView.as_view(), name="me"),
    path("users/", api.UserListView.as_view(), name="users"),
    path("organisation/profile/", profile_api.ProfileView.as_view(), name="organisation_profile"),
    path("organisation/branding/", profile_api.BrandingView.as_view(), name="organisation_branding"),
]
