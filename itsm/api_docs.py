"""Swagger UI (``/api/docs/``) and ReDoc (``/api/redoc/``) under the site's Content-Security-Policy.

drf-spectacular-sidecar ships Swagger UI and ReDoc (``SPECTACULAR_SETTINGS`` ``*_DIST = "SIDECAR"``), so
the docs pages load nothing from another host and work offline. Swagger UI runs under the site's policy as it is;
ReDoc styles itself with injected <style> elements and parses the schema in a blob: worker, so its
page alone allows those.
"""

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

# What ReDoc's standalone bundle needs beyond the site's policy, on its page only.
REDOC_POLICY = {"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]}


class SwaggerView(SpectacularSwaggerSplitView):
    """The split view: its init script comes from ``?script``, a same-origin file, never inline."""

    template_name = "api_docs/swagger_ui.html"


@method_decorator(csp_update(REDOC_POLICY), name="dispatch")
class RedocView(SpectacularRedocView):
    template_name = "api_docs/redoc.html"

