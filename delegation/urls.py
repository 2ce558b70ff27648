from django.urls import path

from . import views

app_name = "delegation"

urlpatterns = [
    path("partner/", views.partner_overview, name="partner-overview"),
    path("partner/users/", views.staff_list, name="staff"),
    path("partner/users/<uuid:user_id>/edit/", views.staff_edit, name="staff-edit"),
    path("partner/lookup/", views.lookup, name="lookup"),
    path("partner/customers/", views.customers, name="customers"),
]
