"""Routes of the public presentation page (the address ``/`` itself is routed in config)."""
from django.urls import path

from organisations.profile import views

urlpatterns = [
    path("demande-de-rendez-vous/", views.public_request, name="public_request"),
]
