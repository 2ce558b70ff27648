from django.urls import path

from tenants import security_views

from . import views

app_name = "tenants"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("t/<uuid:tenant_id>/", views.admin_center, name="admin-center"),
    path("t/<uuid:tenant_id>/security/", security_views.security_settings, name="security"),
]
