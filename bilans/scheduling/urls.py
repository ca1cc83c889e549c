from django.urls import path

from bilans.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("rendez-vous/", views.appointments, name="appointments"),
    path("rendez-vous/reserver/", views.appointment_book, name="book"),
    path("rendez-vous/<uuid:pk>/<str:action>/", views.appointment_change, name="change"),
    path("disponibilites/ajouter/", views.availability_add, name="availability_add"),
    path("disponibilites/absence/", views.availability_exception, name="availability_exception"),
    path("disponibilites/<int:pk>/supprimer/", views.availability_delete, name="availability_delete"),
    path("disponibilites/regles/", views.scheduling_settings_edit, name="settings"),
    path("agenda/<str:action>/", views.feed_manage, name="feed"),
    path("calendrier/<str:token>.ics", views.calendar_feed, name="feed_ics"),
]
