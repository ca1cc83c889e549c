from django.urls import path

from bilans import api

urlpatterns = [
    path("beneficiaries/", api.BeneficiaryListCreateView.as_view(), name="beneficiaries"),
    path("beneficiaries/<uuid:pk>/", api.BeneficiaryDetailView.as_view(), name="beneficiary"),
    path("bilans/", api.BilanListCreateView.as_view(), name="bilans"),
    path("bilans/<uuid:pk>/", api.BilanDetailView.as_view(), name="bilan"),
    path("bilans/<uuid:pk>/transition/", api.BilanTransitionView.as_view(), name="bilan-transition"),
    path("bilans/<uuid:pk>/sessions/", api.BilanSessionsView.as_view(), name="bilan-sessions"),
    path("bilans/<uuid:pk>/third-party-accesses/", api.BilanThirdPartyAccessesView.as_view(), name="bilan-third-party-accesses"),
    path(
        "bilans/<uuid:pk>/third-party-accesses/<uuid:access_pk>/revoke/",
        api.ThirdPartyAccessRevokeView.as_view(),
        name="bilan-third-party-access-revoke",
    ),
    path("bilans/<uuid:pk>/files/<uuid:file_pk>/retention/", api.BilanFileRetentionView.as_view(), name="bilan-file-retention"),
    path("appointments/", api.AppointmentListCreateView.as_view(), name="appointments"),
    path("appointments/<uuid:pk>/cancel/", api.AppointmentCancelView.as_view(), name="appointment-cancel"),
]
