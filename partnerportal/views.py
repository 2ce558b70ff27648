"""Views of the project itself (no app owns them)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


def baseline(request: HttpRequest) -> HttpResponse:
    """The cheapest signed-in page, the benchmark's yardstick (``BENCHMARK_ENDPOINTS`` only)."""
    if not settings.BENCHMARK_ENDPOINTS:
        raise Http404("No such page.")
    return _baseline(request)


@login_required
def _baseline(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")
