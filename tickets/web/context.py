"""Template context every page gets: the role's navigation, and whether the staff's tools are shown."""

from django.http import HttpRequest

from tickets import policies

from .roles import navigation as links_for


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or request.path.startswith("/api/") or request.path.startswith("/admin/"):
        return {}
    return {"nav_links": links_for(user), "staff_tools": policies.is_staff(user)}
