from django.urls import path

from . import relationship_views, team_views, views

app_name = "delegation"

P = "t/<uuid:tenant_id>/partners/"
R = P + "<uuid:relationship_id>/"
T = "partner/teams/<uuid:team_id>/"
G = "partner/teams/groups/<uuid:group_id>/"

urlpatterns = [
    path("partner/", views.partner_overview, name="partner-overview"),
    path("partner/users/", views.staff_list, name="staff"),
    path("partner/users/add/", views.staff_add, name="staff-add"),
    path("partner/users/<uuid:user_id>/edit/", views.staff_edit, name="staff-edit"),
    path("partner/users/<uuid:user_id>/disable/", views.staff_disable, name="staff-disable"),
    path("partner/users/<uuid:user_id>/enable/", views.staff_enable, name="staff-enable"),
    path("partner/teams/", team_views.team_list, name="teams"),
    path("partner/teams/new/", team_views.team_create, name="team-create"),
    path(T, team_views.team_detail, name="team-detail"),
    path(T + "edit/", team_views.team_edit, name="team-edit"),
    path(T + "delete/", team_views.team_delete, name="team-delete"),
    path(T + "members/add/", team_views.team_member_add, name="team-member-add"),
    path(T + "members/remove/", team_views.team_member_remove, name="team-member-remove"),
    path(T + "assignments/set/", team_views.team_assignment_set, name="team-assignment-set"),
    path(
        T + "assignments/remove/",
        team_views.team_assignment_remove,
        name="team-assignment-remove",
    ),
    path(T + "assignments/bulk/", team_views.team_assignment_bulk, name="team-assignment-bulk"),
    path("partner/teams/groups/", team_views.customer_groups, name="customer-groups"),
    path(G + "edit/", team_views.customer_group_edit, name="customer-group-edit"),
    path(G + "delete/", team_views.customer_group_delete, name="customer-group-delete"),
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
