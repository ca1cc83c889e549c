from django.urls import path

from bilans import api

urlpatterns = [
    path("beneficiaries/", api.BeneficiaryListCreateView.as_view(), name="beneficiaries"),
    path("beneficiaries/<uuid:pk>/", api.BeneficiaryDetailView.as_view(), name="beneficiary"),
    path("bilans/", api.BilanListCreateView.as_view(), name="bilans"),
    path("bilans/<uuid:pk>/", api.BilanDetailView.as_view(), name="bilan"),
    path("bilans/<uuid:pk>/transition/", api.BilanTransitionView.as_view(), name="bilan-transition"),
    path("bilans/<uuid:pk>/sessions/", api.BilanSessionsView.as_view(), name="bilan-sessions"),
    path("appointments/", api.AppointmentListCreateView.as_view(), name="appointments"),
    path("appointments/<uuid:pk>/cancel/", api.AppointmentCancelView.as_view(), name="appointment-cancel"),
]
