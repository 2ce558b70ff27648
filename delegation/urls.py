from django.urls import path

from . import relationship_views, views

app_name = "delegation"

P = "t/<uuid:tenant_id>/partners/"
R = P + "<uuid:relationship_id>/"

urlpatterns = [
    path("partner/", views.partner_overview, name="partner-overview"),
    path("partner/users/", views.staff_list, name="staff"),
    path("partner/users/add/", views.staff_add, name="staff-add"),
    path("partner/users/<uuid:user_id>/edit/", views.staff_edit, name="staff-edit"),
    path("partner/users/<uuid:user_id>/disable/", views.staff_disable, name="staff-disable"),
    path("partner/users/<uuid:user_id>/enable/", views.staff_enable, name="staff-enable"),
    path("partner/lookup/", views.lookup, name="lookup"),
    path("partner/customers/", views.customers, name="customers"),
    path(P, relationship_views.relationships, name="relationships"),
    path(R + "remove/", relationship_views.relationship_remove, name="relationship-remove"),
    path(R + "renew/", relationship_views.relationship_renew_view, name="relationship-renew"),
    path(
        "partner/customers/<uuid:relationship_id>/end/",
        relationship_views.customer_relationship_end,
        name="customer-relationship-end",
    ),
]
