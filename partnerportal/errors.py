"""Error pages. The 500 page renders without the database: it may be what failed."""

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader


def server_error(request: HttpRequest) -> HttpResponse:
    template = loader.get_template("500.html")
    request_id = getattr(request, "request_id", "")
    return HttpResponseServerError(template.render({"request_id": request_id}))
