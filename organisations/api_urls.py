from django.urls import path

from organisations import api

urlpatterns = [
    path("me/", api.CurrentUserView.as_view(), name="me"),
    path("users/", api.UserListView.as_view(), name="users"),
]
