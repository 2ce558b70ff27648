from django.urls import path

from . import views

app_name = "delegation"

urlpatterns = [
    path("partner/", views.partner_overview, name="partner-overview"),
]
