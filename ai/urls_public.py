"""Routes of this app on the bare platform domain (included at the root): the ROME referential
is open data, readable without an account."""
from django.urls import path

from ai import views

urlpatterns = [
    path("metiers/", views.public_occupation_search_view, name="rome_occupations"),
    path("metiers/suggestions/", views.public_occupation_suggestions_view, name="rome_occupation_suggestions"),
    path("metiers/<str:code>/", views.public_occupation_detail_view, name="rome_occupation"),
]
