"""Root URLs: each app mounts its own, with its namespace."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from partnerportal import health
from partnerportal import views as portal_views
from tenants import views as tenant_views

admin.site.site_header = "Partner Portal operations"
admin.site.site_title = "Partner Portal operations"
admin.site.index_title = "Platform administration"
# Django admin signs in through allauth: the same form, MFA and rate limits as the portal.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

handler500 = "partnerportal.errors.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("_baseline/", portal_views.baseline, name="baseline"),
    path("", tenant_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("django-admin/", admin.site.urls),
    path("", include("tenants.urls")),
    path("", include("delegation.urls")),
    path("", include("offers.urls")),
    path("", include("audit.urls")),
]
