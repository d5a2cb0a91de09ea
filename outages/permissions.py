"""Who may do what in the outage process. Services ask here; views and serializers never decide it."""

from tickets.permissions import is_administrator, is_staff

from .models import Outage


def is_incident_manager_material(user) -> bool:
    """Staff allowed to run an outage: the ``act_as_incident_manager`` permission, or an administrator."""
    return is_staff(user) and (is_administrator(user) or user.has_perm("tickets.act_as_incident_manager"))


def may_choose_incident_manager(user, outage: Outage) -> bool:
    """The service's owner chooses (the process's step 2). Without an owner on record, an incident
    manager may take the outage on; administrators always may."""
    if is_administrator(user):
        return True
    service = outage.ticket.service
    if service is not None and service.owner_id is not None:
        return service.owner_id == user.pk
    return is_incident_manager_material(user)


def may_run(user, outage: Outage) -> bool:
    """Post updates, set the plan, reclassify, resolve, close: the incident manager, the service owner,
    administrators. (Linking children is open to all staff: the service desk spots them.)"""
    if not is_staff(user):
        return False
    return (is_administrator(user) or outage.incident_manager_id == user.pk
            or may_choose_incident_manager(user, outage))


def may_approve_community(user) -> bool:
    return is_staff(user) and user.has_perm("outages.approve_community_update")


def may_decide_change(user) -> bool:
    return is_staff(user) and user.has_perm("outages.approve_change")


def may_publish_review(user) -> bool:
    return is_staff(user) and user.has_perm("outages.publish_review")
