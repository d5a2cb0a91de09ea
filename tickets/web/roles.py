"""Which home each person lands on, and the navigation their role gets."""

from dataclasses import dataclass

from django.urls import reverse

from tickets import permissions


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    key: str  # the "g" shortcut that goes there, or ""


def is_incident_manager(user) -> bool:
    return permissions.is_staff(user) and (
        user.is_superuser or user.has_perm("tickets.act_as_incident_manager"))


def home_url(user) -> str:
    """Customers go to the portal; staff to the page of the work they do most."""
    if not permissions.is_staff(user):
        return reverse("portal:home")
    if permissions.is_dispatcher(user) and not user.is_superuser:
        return reverse("board:home")
    if is_incident_manager(user) and not user.is_superuser and not permissions.is_technician(user):
        return reverse("console:list")
    return reverse("work:mine")


def navigation(user) -> list[NavLink]:
    if not user.is_authenticated:
        return []
    if not permissions.is_staff(user):
        return [NavLink("My requests", reverse("portal:home"), ""),
                NavLink("Report a problem", reverse("portal:report"), "")]
    links = [NavLink("My work", reverse("work:mine"), "w")]
    if permissions.is_dispatcher(user) or permissions.is_administrator(user):
        links.append(NavLink("Queues", reverse("board:home"), "q"))
    links += [NavLink("Log a call", reverse("desk:new"), "l"), NavLink("Outages", reverse("console:list"), "i")]
    return links
