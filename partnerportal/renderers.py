"""The form renderer: Django's widget templates through Jinja2, the rest as usual.

A select of fifty options is fifty template renders; Django's own widget templates exist
in a Jinja2 version as well, which renders them several times faster, to the same HTML.
Widgets that have only a Django template (the admin's, for one) are rendered with it.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class PortalRenderer(BaseRenderer):
    def __init__(self) -> None:
        self.fast = Jinja2()
        self.fallback = DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        try:
            return self.fast.get_template(template_name)
        except TemplateDoesNotExist:
            return self.fallback.get_template(template_name)
