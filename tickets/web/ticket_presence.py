"""Who else has a ticket open: a soft signal for collision detection, never a lock (UX §4).

Each browser sends a heartbeat (viewing or writing) every 15 s and when its user types. The
heartbeats of one ticket live in one cache entry, a dict keyed by user id, each stamped with the
time it arrived. Expiry is computed from those stamps against ``timezone.now()`` rather than left to
the cache's own TTL, so a dropped connection disappears after ``PRESENCE_TTL`` seconds and tests
can move the clock (time_machine) instead of sleeping.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

VIEWING, WRITING = "viewing", "writing"
STATES = (VIEWING, WRITING)


def ttl() -> timedelta:
    """How long a heartbeat counts; ``ITSM_PRESENCE_TTL`` (seconds) overrides the 45 s default."""
    return timedelta(seconds=getattr(settings, "ITSM_PRESENCE_TTL", 45))


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    state: str
    seen_at: datetime

    @property
    def sentence(self) -> str:
        return f"{self.name} is writing a reply…" if self.state == WRITING else f"{self.name} is viewing"


def _key(ticket_id: int) -> str:
    return f"itsm:presence:ticket:{ticket_id}"


def _fresh(raw: dict, now: datetime) -> dict:
    cutoff = now - ttl()
    return {uid: beat for uid, beat in raw.items() if datetime.fromisoformat(beat["at"]) > cutoff}


def heartbeat(ticket_id: int, user, state: str = VIEWING, *, now: datetime | None = None) -> None:
    """Record that ``user`` has the ticket open (``state`` viewing or writing) as of now.

    A read-modify-write on one entry: two heartbeats racing may drop one of them, which the
    next heartbeat (15 s later at most) repairs. That is fine for a hint; it would not be for a lock.
    """
    now = now or timezone.now()
    state = state if state in STATES else VIEWING
    beats = _fresh(cache.get(_key(ticket_id)) or {}, now)
    beats[str(user.pk)] = {"name": str(user), "state": state, "at": now.isoformat()}
    # The cache entry outlives the TTL a little; the stamps, not the cache, decide who is present.
    cache.set(_key(ticket_id), beats, timeout=int(ttl().total_seconds()) * 2 + 15)


def leave(ticket_id: int, user) -> None:
    """Forget ``user`` at once (the page was closed), instead of waiting for the TTL."""
    beats = cache.get(_key(ticket_id)) or {}
    if beats.pop(str(user.pk), None) is not None:
        cache.set(_key(ticket_id), beats, timeout=int(ttl().total_seconds()) * 2 + 15)


def others(ticket_id: int, user, *, now: datetime | None = None) -> list[Presence]:
    """Everyone else with a live heartbeat on the ticket; writers first, then by name."""
    now = now or timezone.now()
    beats = _fresh(cache.get(_key(ticket_id)) or {}, now)
    people = [
        Presence(int(uid), beat["name"], beat["state"], datetime.fromisoformat(beat["at"]))
        for uid, beat in beats.items() if int(uid) != user.pk
    ]
    return sorted(people, key=lambda p: (p.state != WRITING, p.name.lower()))
