from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from playground.views.console import CONSOLE_TEMPLATE, console_context

register = template.Library()


@register.simple_tag(takes_context=True)
def playground_console(context: template.Context) -> SafeString:
    """The live console, for pages other than the playground's own (the 202 page)."""
    request = context["request"]
    # Inside a page section (an h2), the console's own headings are h3.
    extra: dict[str, Any] = {**console_context(request, embed=False), "heading_level": 3}
    return render_to_string(CONSOLE_TEMPLATE, extra, request=request)
