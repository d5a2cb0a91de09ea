"""Audiences into addresses: the one place that decides which mailboxes a message goes to.

Every sender asks here (the ticket messages through ``services.queue``, the outage messages
directly), so one set of rules holds everywhere:

- an inactive person, or one without an address, gets nothing;
- the person who acted gets no copy of their own action, unless the caller asks for one;
- a mailbox is written to once however its address is spelt (``Alice@Example.edu`` and
  ``alice@example.edu`` are one mailbox; the first spelling met is kept);
- the addresses come in a stable order (alphabetical, ignoring case), so a row reads the same
  whoever queued it.

People are the auth user model and a group is anything with ``dispatchers`` and ``email``: nothing
of the tickets app is imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser as Person

    from .models import DistributionList


class _PeopleManager(Protocol):
    def all(self) -> Iterable[Person]: ...


class TeamLike(Protocol):
    """What the staff audience reads of a ticket's group."""

    email: str

    @property
    def dispatchers(self) -> _PeopleManager: ...  # a related manager of people


def unique(addresses: Iterable[str]) -> list[str]:
    """Each mailbox once, trimmed, compared without case (the first spelling kept), sorted without case."""
    found: dict[str, str] = {}
    for address in addresses:
        address = (address or "").strip()
        if address:
            found.setdefault(address.lower(), address)
    return sorted(found.values(), key=str.lower)


def people(users: Iterable[Person | None], *, actor: Person | None = None, include_actor: bool = False) -> list[str]:
    """The addresses of ``users``, leaving out the inactive, those without an address and (unless
    ``include_actor``) ``actor``: nobody is mailed about what they just did themselves."""
    left_out = None if include_actor or actor is None else actor.pk
    return unique(user.email for user in users
                  if user is not None and user.is_active and user.email and user.pk != left_out)


def ticket_staff(*, assignee: Person | None, group: TeamLike | None, actor: Person | None = None) -> list[str]:
    """Who answers for a ticket: its assignee; unassigned, its group's dispatchers; else the group's own
    address (a shared mailbox is nobody's own action, so the actor does not remove it)."""
    if assignee is not None:
        return people([assignee], actor=actor)
    if group is None:
        return []
    return people(group.dispatchers.all(), actor=actor) or unique([group.email])


def distribution_list(dlist: DistributionList) -> list[str]:
    """A list's own address when it has one, else its member addresses."""
    return unique([dlist.email] if dlist.email else dlist.members())


def first_reachable(candidates: Iterable[Person | None]) -> list[str]:
    """The address of the first candidate who has one (an Incident Manager, else the service owner); a
    generator of candidates is read only as far as needed."""
    for candidate in candidates:
        if to := people([candidate]):
            return to
    return []


class Audience:
    """Who a queued message is for; ``services.queue`` asks it for addresses in the caller's transaction."""

    def addresses(self) -> list[str]:
        raise NotImplementedError


@dataclass(frozen=True)
class People(Audience):
    """These people (see ``people``)."""

    users: Sequence[Person | None]
    actor: Person | None = None
    include_actor: bool = False

    def addresses(self) -> list[str]:
        return people(self.users, actor=self.actor, include_actor=self.include_actor)


@dataclass(frozen=True)
class TicketStaff(Audience):
    """Whoever answers for a ticket (see ``ticket_staff``)."""

    assignee: Person | None
    group: TeamLike | None
    actor: Person | None = None

    def addresses(self) -> list[str]:
        return ticket_staff(assignee=self.assignee, group=self.group, actor=self.actor)
