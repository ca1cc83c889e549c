"""API routes of the questionnaires and results, included under /api/v1/ (namespace "api") by
config/urls_tenant.py."""
from django.urls import path

from bilans.assessments import api

urlpatterns = [
    path("bilans/<uuid:bilan_id>/assessments/", api.BilanAssessmentsView.as_view(), name="bilan-assessments"),
    path("bilans/<uuid:bilan_id>/results/", api.BilanResultsView.as_view(), name="bilan-results"),
    path("bilans/<uuid:bilan_id>/matching/", api.MatchingView.as_view(), name="bilan-matching"),
    path("results/<uuid:pk>/", api.ResultView.as_view(), name="result"),
    path("feedback-invitations/<uuid:pk>/decision/", api.FeedbackInvitationDecisionView.as_view(), name="feedback-invitation-decision"),
]
