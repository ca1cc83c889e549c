from django.urls import include, path

from bilans import views

app_name = "bilans"
urlpatterns = [
    path("beneficiaires/", views.beneficiary_index, name="beneficiaries"),
    path("beneficiaires/nouveau/", views.beneficiary_new, name="beneficiary_new"),
    path("beneficiaires/<uuid:pk>/", views.beneficiary_detail, name="beneficiary"),
    path("beneficiaires/<uuid:pk>/attribuer/", views.beneficiary_assign, name="beneficiary_assign"),
    path("beneficiaires/<uuid:pk>/profil/", views.beneficiary_profile, name="beneficiary_profile"),
    path("beneficiaires/<uuid:pk>/accessibilite/", views.beneficiary_sensitive, name="beneficiary_sensitive"),
    path("beneficiaires/<uuid:beneficiary_pk>/ouvrir-un-bilan/", views.bilan_open, name="bilan_open"),
    path("mon-dossier/", views.my_file, name="my_file"),
    # bilans (consultant, administrator)
    path("bilans/", views.bilan_index, name="bilans"),
    path("bilans/<uuid:pk>/", views.bilan_detail, name="bilan"),
    path("bilans/<uuid:pk>/etape/", views.bilan_transition_view, name="bilan_transition"),
    path("bilans/<uuid:pk>/information/", views.bilan_information, name="bilan_information"),
    path("bilans/<uuid:pk>/consentement/", views.bilan_consent, name="bilan_consent"),
    path("bilans/<uuid:pk>/objectifs/", views.bilan_objective, name="bilan_objective"),
    path("bilans/<uuid:pk>/objectifs/<int:objective_pk>/evaluer/", views.bilan_objective_assess, name="bilan_objective_assess"),
    path("bilans/<uuid:pk>/seances/", views.bilan_session, name="bilan_session"),
    path("bilans/<uuid:pk>/seances/<uuid:session_pk>/presence/", views.bilan_session_attendance, name="bilan_session_attendance"),
    path("bilans/<uuid:pk>/calendrier/", views.bilan_plan, name="bilan_plan"),
    path("bilans/<uuid:pk>/financement/", views.bilan_funding, name="bilan_funding"),
    path("bilans/<uuid:pk>/synthese/", views.bilan_synthesis, name="bilan_synthesis"),
    path("bilans/<uuid:pk>/forfait/", views.bilan_forfait, name="bilan_forfait"),
    path("bilans/<uuid:pk>/convention/", views.bilan_convention, name="bilan_convention"),
    path("bilans/<uuid:pk>/convention/<uuid:convention_pk>/<str:action>/", views.bilan_convention_action, name="bilan_convention_action"),
    path("bilans/<uuid:pk>/taches/", views.bilan_task, name="bilan_task"),
    path("bilans/<uuid:pk>/partage/", views.bilan_sharing, name="bilan_sharing"),
    path("bilans/<uuid:pk>/documents/", views.bilan_file_upload, name="bilan_file_upload"),
    path("bilans/<uuid:pk>/documents/<uuid:file_pk>/<str:action>/", views.bilan_file_action, name="bilan_file_action"),
    path("documents-du-bilan/<uuid:file_pk>/", views.bilan_file_download, name="bilan_file_download"),
    # beneficiary space
    path("mon-bilan/", views.my_bilan, name="my_bilan"),
    path("mon-bilan/consentement/", views.my_consent, name="my_consent"),
    path("mon-bilan/consentement/retirer/", views.my_consent_withdraw, name="my_consent_withdraw"),
    path("mon-bilan/seances/<uuid:session_pk>/emarger/", views.my_session_confirm, name="my_session_confirm"),
    path("mon-bilan/convention/<uuid:convention_pk>/<str:action>/", views.my_convention, name="my_convention"),
    path("mon-bilan/taches/<uuid:task_pk>/terminer/", views.my_task_done, name="my_task_done"),
    path("mon-bilan/satisfaction/", views.my_survey, name="my_survey"),
    path("mon-bilan/partage/", views.my_sharing, name="my_sharing"),
    path("mon-bilan/partage/<int:consent_pk>/retirer/", views.my_sharing_withdraw, name="my_sharing_withdraw"),
    path("", include("bilans.scheduling.urls")),
    path("", include("bilans.messaging.urls")),
]
