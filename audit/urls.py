from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("t/<uuid:tenant_id>/audit/", views.log, name="log"),
    path("t/<uuid:tenant_id>/audit/export.csv", views.export, name="export"),
    path("partner/activity/", views.activity, name="activity"),
]
