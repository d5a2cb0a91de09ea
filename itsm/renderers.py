"""DRF's browsable API under the site's Content-Security-Policy.

Its own module: DRF imports the renderers while drf_spectacular.views (itsm.api_docs) is loading.
"""

from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API without the inline <style> of Pygments colours (for code in Markdown
    descriptions), which the policy refuses; its scripts are static files already."""

    def get_context(self, data, accepted_media_type, renderer_context) -> dict:
        context = super().get_context(data, accepted_media_type, renderer_context)
        context["code_style"] = None
        return context

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            # DRF's templates lay out a few elements with style="float: right"; on these pages only.
            response._csp_replace = {"style-src-attr": ["'unsafe-inline'"]}
        return super().render(data, accepted_media_type, renderer_context)
