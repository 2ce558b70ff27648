from django.urls import path

from . import views

app_name = "tenants"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("t/<uuid:tenant_id>/", views.admin_center, name="admin-center"),
]
