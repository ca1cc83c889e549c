from django.urls import path

from bilans.quality import views

app_name = "quality"
urlpatterns = [
    path("qualite/", views.dashboard, name="dashboard"),
    path("qualite/indicateurs/<int:number>/", views.indicator_detail, name="indicator"),
    path("qualite/preuves/<uuid:pk>/", views.evidence_download, name="evidence_download"),
    path("qualite/reclamations/", views.complaints, name="complaints"),
    path("qualite/reclamations/<uuid:pk>/cloturer/", views.complaint_close_view, name="complaint_close"),
    path("qualite/ameliorations/", views.register_view, {"register": "action"}, name="actions"),
    path("qualite/ameliorations/<uuid:pk>/realisee/", views.action_complete_view, name="action_complete"),
    path("qualite/veille/", views.register_view, {"register": "watch"}, name="watch"),
    path("qualite/equipe/", views.staff, name="staff"),
    path("qualite/partenaires/", views.register_view, {"register": "partner"}, name="partners"),
    path("qualite/resultats/", views.results_admin, name="results_admin"),
    path("qualite/dossier-audit/", views.audit_bundle, name="bundle"),
    path("qualite/bpf/", views.bpf, name="bpf"),
    path("qualite/bpf/bpf-<int:year>.csv", views.bpf_csv_view, name="bpf_csv"),
    path("qualite/bpf/bpf-<int:year>.pdf", views.bpf_pdf_view, name="bpf_pdf"),
    path("resultats/", views.public_results, name="public_results"),
    path("pilotage/", views.admin_dashboard_view, name="admin_dashboard"),
    path("pilotage/consultant/", views.consultant_dashboard_view, name="consultant_dashboard"),
]
