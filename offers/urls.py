from django.urls import path

from . import views

app_name = "offers"

urlpatterns = [
    path("partner/offers/", views.offer_list, name="list"),
    path("partner/offers/new/", views.offer_create, name="create"),
    path("partner/offers/<uuid:offer_id>/", views.offer_detail, name="detail"),
    path("partner/offers/<uuid:offer_id>/revoke/", views.offer_revoke, name="revoke"),
    path("offer/<str:token>/", views.offer_public, name="public"),
    path("offer/<str:token>/accept/", views.offer_accept, name="accept"),
    path("offer/<str:token>/decline/", views.offer_decline, name="decline"),
]
