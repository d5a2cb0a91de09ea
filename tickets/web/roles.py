"""Which home each person lands on, and the navigation their role gets."""

from dataclasses import dataclass

from django.urls import reverse

from tickets import policies


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    key: str  # the "g" shortcut that goes there, or ""


def home_url(user) -> str:
    """Customers go to the portal; staff to the page of the work they do most."""
    if not policies.is_staff(user):
        return reverse("portal:home")
    administrator = policies.is_administrator(user)
    if policies.is_dispatcher(user) and not administrator:
        return reverse("board:home")
    if policies.may_be_incident_manager(user) and not administrator and not policies.is_technician(user):
        return reverse("console:list")
    return reverse("work:mine")


def navigation(user) -> list[NavLink]:
    if not user.is_authenticated:
        return []
    if not policies.is_staff(user):
        return [NavLink("My requests", reverse("portal:home"), ""),
                NavLink("Report a problem", reverse("portal:report"), "")]
    links = [NavLink("My work", reverse("work:mine"), "w")]
    if policies.may_bulk_route(user):
        links.append(NavLink("Queues", reverse("board:home"), "q"))
    links += [NavLink("Log a call", reverse("desk:new"), "l"), NavLink("Outages", reverse("console:list"), "i")]
    return links
