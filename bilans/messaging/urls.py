from django.urls import path

from bilans.messaging import views

app_name = "messaging"
urlpatterns = [
    path("messages/", views.thread_index, name="threads"),
    path("messages/<uuid:pk>/", views.thread_detail, name="thread"),
    path("messages/pieces-jointes/<uuid:pk>/", views.attachment_download, name="attachment"),
]
