"""The root URLs plus stand-ins for the two lookup actions' pages, so that the lookup's
rendering of them can be tested where those pages are not part of the build."""

from django.http import HttpResponse
from django.urls import include, path

from partnerportal.urls import urlpatterns as root_patterns
from tenants import urls as tenant_urls


def _stand_in(request, tenant_id):
    return HttpResponse("stand-in")


tenant_patterns = [
    *tenant_urls.urlpatterns,
    path("t/<uuid:tenant_id>/requests/new/", _stand_in, name="service-request-create"),
    path("t/<uuid:tenant_id>/administrators/", _stand_in, name="administrators"),
]

urlpatterns = [
    path("", include((tenant_patterns, "tenants"))),
    *[p for p in root_patterns if getattr(p, "namespace", None) != "tenants"],
]
