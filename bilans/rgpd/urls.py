from django.urls import path

from bilans.rgpd import views

app_name = "rgpd"
urlpatterns = [
    path("rgpd/", views.register, name="register"),
    path("rgpd/consentements/", views.consent_log, name="consents"),
    path("rgpd/beneficiaires/<uuid:pk>/", views.beneficiary_rights, name="beneficiary"),
    path("rgpd/beneficiaires/<uuid:pk>/donnees.zip", views.export_view, name="export"),
    path("rgpd/beneficiaires/<uuid:pk>/effacer/", views.erase_view, name="erase"),
    path("mes-donnees/", views.my_data, name="my_data"),
    path("mes-donnees/donnees.zip", views.my_export, name="my_export"),
]
