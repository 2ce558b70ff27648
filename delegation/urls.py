from django.urls import path

from . import relationship_views, views

app_name = "delegation"

urlpatterns = [
    path("partner/", views.partner_overview, name="partner-overview"),
    path("partner/users/", views.staff_list, name="staff"),
    path("partner/users/<uuid:user_id>/edit/", views.staff_edit, name="staff-edit"),
    path("partner/lookup/", views.lookup, name="lookup"),
    path("partner/customers/", views.customers, name="customers"),
    path(
        "t/<uuid:tenant_id>/partners/",
        relationship_views.relationships,
        name="relationships",
    ),
    path(
        "t/<uuid:tenant_id>/partners/<uuid:relationship_id>/remove/",
        relationship_views.relationship_remove,
        name="relationship-remove",
    ),
    path(
        "t/<uuid:tenant_id>/partners/<uuid:relationship_id>/renew/",
        relationship_views.relationship_renew_view,
        name="relationship-renew",
    ),
    path(
        "partner/customers/<uuid:relationship_id>/end/",
        relationship_views.customer_relationship_end,
        name="customer-relationship-end",
    ),
]
