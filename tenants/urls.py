from django.urls import path

from tenants import security_views

from . import views

app_name = "tenants"

T = "t/<uuid:tenant_id>/"
U = T + "users/<uuid:user_id>/"
D = T + "domains/<uuid:domain_id>/"
S = T + "subscriptions/<uuid:subscription_id>/"
R = T + "service-requests/<uuid:request_id>/"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path(T, views.admin_center, name="admin-center"),
    path(T + "users/", views.users, name="users"),
    path(T + "users/new/", views.user_create, name="user-create"),
    path(U, views.user_detail, name="user-detail"),
    path(U + "edit/", views.user_edit, name="user-edit"),
    path(U + "disable/", views.user_disable, name="user-disable"),
    path(U + "enable/", views.user_enable, name="user-enable"),
    path(U + "reset-password/", views.user_reset_password, name="user-reset-password"),
    path(U + "password/", views.user_password, name="user-password"),
    path(U + "roles/", views.user_roles, name="user-roles"),
    path(T + "domains/", views.domains, name="domains"),
    path(T + "domains/new/", views.domain_add, name="domain-add"),
    path(D + "verify/", views.domain_verify, name="domain-verify"),
    path(D + "default/", views.domain_default, name="domain-default"),
    path(D + "remove/", views.domain_remove, name="domain-remove"),
    path(T + "subscriptions/", views.subscriptions, name="subscriptions"),
    path(S + "seats/", views.subscription_seats, name="subscription-seats"),
    path(S + "cancel/", views.subscription_cancel, name="subscription-cancel"),
    path(T + "service-requests/", views.service_requests, name="service-requests"),
    path(T + "service-requests/new/", views.service_request_create, name="service-request-create"),
    path(R, views.service_request_detail, name="service-request-detail"),
    path(R + "comments/", views.service_request_comment, name="service-request-comment"),
    path(R + "close/", views.service_request_close, name="service-request-close"),
    path(T + "administrators/", views.administrators, name="administrators"),
    path(T + "security/", security_views.security_settings, name="security"),
]
