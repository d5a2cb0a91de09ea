"""Nagios notification mails (the stock ``notify-host-by-email`` / ``notify-service-by-email``), read as alerts.

The body is the authority, not the subject: Nagios renders both from the same macros, but a mail seen in the
wild says ``PROBLEM ... is WARNING`` in its subject while its body says ``State: OK``. Icinga 1 and
derivatives send the same layout (plus a ``Comment:`` line) and are read the same way.

The stock body looks like::

    ***** Nagios *****

    Notification Type: PROBLEM

    Service: CPU Load
    Host: web01
    Address: 192.0.2.10
    State: WARNING

    Date/Time: Fri Jan 6 17:05:32 CET 2017

    Additional Info:

    WARNING - load average: 3.44, 0.99, 0.35

Host notifications have no ``Service:`` line and carry the check output as ``Info:``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from tickets.intake.mail import InboundMail

__all__ = ["NOTE_ONLY_TYPES", "NOTIFICATION_TYPES", "NagiosNotification", "parse"]

# Nagios core base/notifications.c, plus the Icinga 2 spellings of the same events.
NOTE_ONLY_TYPES = frozenset(
    {
        "ACKNOWLEDGEMENT",
        "FLAPPINGSTART",
        "FLAPPINGSTOP",
        "FLAPPINGEND",
        "FLAPPINGDISABLED",
        "DOWNTIMESTART",
        "DOWNTIMEEND",
        "DOWNTIMECANCELLED",
        "DOWNTIMEREMOVED",
        "CUSTOM",
    }
)
NOTIFICATION_TYPES = frozenset({"PROBLEM", "RECOVERY"}) | NOTE_ONLY_TYPES

SERVICE_STATES = frozenset({"OK", "WARNING", "CRITICAL", "UNKNOWN"})
HOST_STATES = frozenset({"UP", "DOWN", "UNREACHABLE"})
GOOD_STATES = frozenset({"OK", "UP"})

# UNKNOWN means the check itself failed (bad arguments, timeout, plugin error): the service may be fine or
# down, nobody knows. That is an error of the monitoring, worth a look, but not the outage CRITICAL reports.
SEVERITY = {
    "CRITICAL": "critical",
    "DOWN": "critical",
    "UNREACHABLE": "critical",
    "UNKNOWN": "error",
    "WARNING": "warning",
    "OK": "info",
    "UP": "info",
}

_FIELDS = {
    "notification type": "type",
    "service": "service",
    "host": "host",
    "address": "address",
    "state": "state",
    "date/time": "datetime",
    "additional info": "info",
    "info": "info",
    "comment": "comment",
}
_FIELD_LINE = re.compile(
    r"^\s*(notification type|service|host|address|state|date/time|additional info|info|comment)\s*:"
    r"[ \t]*(.*)$",
    re.IGNORECASE,
)
_MULTILINE = {"info", "comment"}
# Someone answering or forwarding an alert writes to a person, whatever the quoted body says.
_REPLY_OR_FORWARD = re.compile(r"^\s*(re|aw|sv|antw|fw|fwd|wg|tr)\s*:", re.IGNORECASE)
_SUBJECT = re.compile(r"\*\*\s*(\w+)\s+service alert:\s*(?P<host>[^/]+)/(?P<service>.+?)\s+is\s+\w+\s*\*\*", re.I)


@dataclass(frozen=True)
class NagiosNotification:
    notification_type: str
    host: str
    service: str
    state: str
    info: str = ""
    address: str = ""
    comment: str = ""
    occurred_at: datetime | None = None
    sender: str = ""

    @property
    def key(self) -> str:
        """Correlation key: one open ticket per monitoring server, host and service."""
        return f"nagios:{self.sender}|{self.host.lower()}|{self.service.lower()}"

    @property
    def is_recovery(self) -> bool:
        """RECOVERY, or any notification that reports a good state (the body's ``State:`` wins)."""
        return self.notification_type == "RECOVERY" or self.state in GOOD_STATES

    @property
    def is_problem(self) -> bool:
        return self.notification_type == "PROBLEM" and self.state not in GOOD_STATES

    @property
    def is_note_only(self) -> bool:
        """Acknowledgements, flapping, downtime and custom notifications: a note on a ticket, never a new one."""
        return self.notification_type in NOTE_ONLY_TYPES

    @property
    def is_host_alert(self) -> bool:
        return not self.service

    @property
    def severity(self) -> str:
        return SEVERITY.get(self.state, "warning")

    @property
    def title(self) -> str:
        if self.service:
            return f"{self.service} on {self.host} is {self.state}"
        return f"{self.host} is {self.state}"


def parse(mail: InboundMail) -> NagiosNotification | None:
    """The notification in ``mail``, or None when it is not a Nagios notification.

    A notification needs the ``Notification Type:``, ``Host:`` and ``State:`` lines with values Nagios can
    send; anything else (including a person's reply to or forward of an alert) is None, so it goes the
    ordinary e-mail way.
    """
    if _REPLY_OR_FORWARD.match(mail.subject or ""):
        return None
    fields = _fields(mail.text or "")
    notification_type = fields.get("type", "").upper().replace(" ", "")
    state = fields.get("state", "").split()[0].upper() if fields.get("state", "").split() else ""
    host = fields.get("host", "")
    if notification_type not in NOTIFICATION_TYPES or not host or state not in SERVICE_STATES | HOST_STATES:
        return None
    service = fields.get("service", "")
    if not service and state in SERVICE_STATES:
        match = _SUBJECT.search(mail.subject or "")
        service = match.group("service").strip() if match else ""
    return NagiosNotification(
        notification_type=notification_type,
        host=host,
        service=service,
        state=state,
        info=fields.get("info", ""),
        address=fields.get("address", ""),
        comment=_comment(fields.get("comment", "")),
        occurred_at=parse_nagios_datetime(fields.get("datetime", ""), fallback=mail.date),
        sender=mail.from_address,
    )


def _fields(text: str) -> dict[str, str]:
    """The first value of each known ``Label: value`` line.

    ``Additional Info:`` / ``Info:`` / ``Comment:`` may continue over the following lines until a blank
    line or the next label; when the label line is empty the value starts after the blank lines, as in the
    stock service command (``Additional Info:\\n\\n$SERVICEOUTPUT$``).
    """
    fields: dict[str, str] = {}
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    index = 0
    while index < len(lines):
        match = _FIELD_LINE.match(lines[index])
        index += 1
        if match is None:
            continue
        name = _FIELDS[match.group(1).lower()]
        value = [match.group(2).strip()] if match.group(2).strip() else []
        if name in _MULTILINE:
            if not value:
                while index < len(lines) and not lines[index].strip():
                    index += 1
            while index < len(lines) and lines[index].strip() and not _FIELD_LINE.match(lines[index]):
                value.append(lines[index].strip())
                index += 1
        fields.setdefault(name, "\n".join(value))
    return fields


def _comment(value: str) -> str:
    # Icinga renders "Comment: [$AUTHOR$] $COMMENT$"; with neither set that is a bare "[]".
    return "" if re.fullmatch(r"\[\s*\]", value.strip()) else value.strip()


# --------------------------------------------------------------------------------------------------------------
# Date/Time

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
# Unambiguous abbreviations only: CST (US or China) and IST (India, Ireland or Israel) are left out on purpose
# and fall back to the mail's own offset.
_ZONES = {
    "UTC": 0,
    "GMT": 0,
    "UT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 60,
    "BST": 60,
    "CET": 60,
    "CEST": 120,
    "MET": 60,
    "MEST": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "EST": -300,
    "EDT": -240,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
    "AKST": -540,
    "AKDT": -480,
    "HST": -600,
    "JST": 540,
    "KST": 540,
    "HKT": 480,
    "SGT": 480,
    "AEST": 600,
    "AEDT": 660,
    "ACST": 570,
    "ACDT": 630,
    "AWST": 480,
    "NZST": 720,
    "NZDT": 780,
}
_ZONE = r"(?P<zone>[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})"
_ISO = re.compile(
    r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})[T ]+"
    rf"(?P<hour>\d{{1,2}}):(?P<minute>\d{{2}})(?::(?P<second>\d{{2}}))?\s*{_ZONE}?$"
)
# $LONGDATETIME$: "Fri Jan 6 17:05:32 CET 2017" (weekday and zone may be missing).
_LONG = re.compile(
    r"^(?:[A-Za-z]{3},?\s+)?(?P<month_name>[A-Za-z]{3})\s+(?P<day>\d{1,2})\s+"
    rf"(?P<hour>\d{{1,2}}):(?P<minute>\d{{2}}):(?P<second>\d{{2}})\s+(?:{_ZONE}\s+)?(?P<year>\d{{4}})$"
)


def parse_nagios_datetime(value: str, fallback: datetime | None = None) -> datetime | None:
    """An aware datetime from ``Date/Time:``, or None.

    A numeric offset or a known abbreviation gives the zone. Without one, the offset of ``fallback`` (the
    mail's ``Date`` header, written by the same machine's mailer) is used; without that, None, because a
    guessed zone would put the event hours off.
    """
    value = " ".join((value or "").split())
    match = _ISO.match(value) or _LONG.match(value)
    if match is None:
        return None
    parts = match.groupdict()
    try:
        month = int(parts["month"]) if parts.get("month") else _MONTHS[parts["month_name"].lower()]
        naive = datetime(
            int(parts["year"]),
            month,
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts.get("second") or 0),
        )
    except (KeyError, ValueError):
        return None
    zone: tzinfo | None = _zone(parts.get("zone") or "")
    if zone is None and fallback is not None and fallback.tzinfo is not None:
        zone = fallback.tzinfo
    return naive.replace(tzinfo=zone) if zone is not None else None


def _zone(token: str) -> timezone | None:
    if not token:
        return None
    numeric = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", token)
    if numeric:
        minutes = int(numeric.group(2)) * 60 + int(numeric.group(3))
        if minutes >= 24 * 60:
            return None
        return timezone(timedelta(minutes=-minutes if numeric.group(1) == "-" else minutes))
    offset = _ZONES.get(token.upper())
    return None if offset is None else timezone(timedelta(minutes=offset))
