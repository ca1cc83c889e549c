"""HTML routes of the questionnaires, results, 360° feedback, matching and projects (namespace
"assessments"), included at the root by config/urls_tenant.py."""
from django.urls import path

from bilans.assessments import views

app_name = "assessments"
urlpatterns = [
    path("suivi-questionnaires/", views.follow_up_index, name="follow_up"),
    path("bilans/<uuid:bilan_id>/questionnaires/", views.bilan_assessments, name="bilan"),
    path("bilans/<uuid:bilan_id>/questionnaires/proposer/", views.assessment_assign, name="assign"),
    path("bilans/<uuid:bilan_id>/retours-360/", views.feedback_campaign_new, name="feedback"),
    path("retours-360/invitations/<uuid:pk>/decision/", views.feedback_invitation_decide, name="feedback_invitation_decide"),
    path("bilans/<uuid:bilan_id>/pistes/", views.matching, name="matching"),
    path("bilans/<uuid:bilan_id>/pistes/analyse/", views.matching_analysis, name="matching_analysis"),
    path("bilans/<uuid:bilan_id>/pistes/<str:code>/", views.matching_detail, name="matching_detail"),
    path("bilans/<uuid:bilan_id>/projets/", views.projects, name="projects"),
    path("mes-questionnaires/", views.my_assessments, name="mine"),
    path("mes-projets/", views.my_projects, name="my_projects"),
    path("questionnaires/<uuid:pk>/", views.assessment_answer, name="answer"),
    path("resultats/<uuid:pk>/", views.result_detail, name="result"),
    path("resultats/<uuid:pk>/relecture/", views.skill_review, name="skill_review"),
    path("retour-360/<str:token>/", views.feedback_answer, name="feedback_answer"),
]
