"""Nagios notification mails, as the stock notify-host-by-email / notify-service-by-email commands write them."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tickets.intake import nagios
from tickets.intake.mail import parse_message

CET = timezone(timedelta(hours=1))


def nagios_mail(subject: str, body: str, *, sender: str = "Nagios@Monitor.example.edu", date: str = "") -> bytes:
    """What ``printf "%b" ... | mail -s subject`` sends: a plain 7-bit text message."""
    headers = [f"From: {sender} (nagios)", "To: servicedesk@example.edu", f"Subject: {subject}"]
    if date:
        headers.append(f"Date: {date}")
    headers += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii"]
    return ("\n".join(headers) + "\n\n" + body).encode()


def host_body(kind: str, host: str, state: str, output: str, when: str = "Fri Jan 6 17:05:32 CET 2017") -> str:
    # notify-host-by-email from Nagios Core's sample commands.cfg
    return (
        f"***** Nagios *****\n\nNotification Type: {kind}\nHost: {host}\nState: {state}\n"
        f"Address: 192.0.2.10\nInfo: {output}\n\nDate/Time: {when}\n"
    )


def service_body(kind: str, host: str, service: str, state: str, output: str, when: str = "") -> str:
    # notify-service-by-email from Nagios Core's sample commands.cfg
    when = when or "Fri Jan 6 17:05:32 CET 2017"
    return (
        f"***** Nagios *****\n\nNotification Type: {kind}\n\nService: {service}\nHost: {host}\n"
        f"Address: 192.0.2.10\nState: {state}\n\nDate/Time: {when}\n\nAdditional Info:\n\n{output}\n"
    )


def parse(raw: bytes) -> nagios.NagiosNotification | None:
    return nagios.parse(parse_message(raw))


def test_host_problem():
    raw = nagios_mail(
        "** PROBLEM Host Alert: web01.example.edu is DOWN **",
        host_body("PROBLEM", "web01.example.edu", "DOWN", "CRITICAL - Host Unreachable (192.0.2.10)"),
    )
    notification = parse(raw)

    assert notification == nagios.NagiosNotification(
        notification_type="PROBLEM",
        host="web01.example.edu",
        service="",
        state="DOWN",
        info="CRITICAL - Host Unreachable (192.0.2.10)",
        address="192.0.2.10",
        occurred_at=datetime(2017, 1, 6, 17, 5, 32, tzinfo=CET),
        sender="nagios@monitor.example.edu",
    )
    assert notification.is_problem is True
    assert notification.is_recovery is False
    assert notification.is_note_only is False
    assert notification.is_host_alert is True
    assert notification.severity == "critical"
    assert notification.title == "web01.example.edu is DOWN"
    assert notification.key == "nagios:nagios@monitor.example.edu|web01.example.edu|"


def test_host_recovery_has_the_same_key_as_its_problem():
    problem = parse(nagios_mail("** PROBLEM Host Alert: Web01 is DOWN **", host_body("PROBLEM", "Web01", "DOWN", "x")))
    recovery = parse(
        nagios_mail(
            "** RECOVERY Host Alert: web01 is UP **",
            host_body("RECOVERY", "web01", "UP", "PING OK - Packet loss = 0%, RTA = 21.37 ms"),
        )
    )

    assert recovery.notification_type == "RECOVERY"
    assert recovery.state == "UP"
    assert recovery.info == "PING OK - Packet loss = 0%, RTA = 21.37 ms"
    assert recovery.is_recovery is True
    assert recovery.is_problem is False
    assert recovery.severity == "info"
    assert recovery.title == "web01 is UP"
    assert recovery.key == problem.key == "nagios:nagios@monitor.example.edu|web01|"


def test_service_problem_reads_the_output_after_the_blank_line():
    raw = nagios_mail(
        "** PROBLEM Service Alert: db01/CPU Load is WARNING **",
        service_body("PROBLEM", "db01", "CPU Load", "WARNING", "WARNING - load average: 3.44, 0.99, 0.35"),
    )
    notification = parse(raw)

    assert notification.notification_type == "PROBLEM"
    assert notification.host == "db01"
    assert notification.service == "CPU Load"
    assert notification.state == "WARNING"
    assert notification.address == "192.0.2.10"
    assert notification.info == "WARNING - load average: 3.44, 0.99, 0.35"
    assert notification.is_problem is True
    assert notification.is_host_alert is False
    assert notification.severity == "warning"
    assert notification.title == "CPU Load on db01 is WARNING"
    assert notification.key == "nagios:nagios@monitor.example.edu|db01|cpu load"


def test_problem_subject_with_ok_state_is_a_recovery():
    # Seen in the wild: the subject says PROBLEM ... WARNING, the body's State: says OK. The body wins.
    raw = nagios_mail(
        "** PROBLEM Service Alert: db01/CPU Load is WARNING **",
        "***** Nagios *****\n\nNotification Type: PROBLEM\n\nService: CPU Load\nHost: db01\n"
        "Address: 192.0.2.10\nState: OK\n\nDate/Time: 2016-01-31 10:48:02 +0100\n\nAdditional Info:\n",
    )
    notification = parse(raw)

    assert notification.notification_type == "PROBLEM"
    assert notification.state == "OK"
    assert notification.info == ""
    assert notification.is_recovery is True
    assert notification.is_problem is False
    assert notification.severity == "info"
    assert notification.occurred_at == datetime(2016, 1, 31, 9, 48, 2, tzinfo=UTC)


def test_acknowledgement_is_a_note_with_its_comment():
    # Icinga's variant of the command adds "Comment: [$NOTIFICATIONAUTHOR$] $NOTIFICATIONCOMMENT$".
    body = service_body("ACKNOWLEDGEMENT", "db01", "Disk /var", "CRITICAL", "DISK CRITICAL - free space: /var 3%")
    raw = nagios_mail(
        "** ACKNOWLEDGEMENT Service Alert: db01/Disk /var is CRITICAL **",
        body + "\nComment: [jdoe] cleaning up old logs\n",
    )
    notification = parse(raw)

    assert notification.notification_type == "ACKNOWLEDGEMENT"
    assert notification.service == "Disk /var"
    assert notification.info == "DISK CRITICAL - free space: /var 3%"
    assert notification.comment == "[jdoe] cleaning up old logs"
    assert notification.is_note_only is True
    assert notification.is_problem is False
    assert notification.is_recovery is False
    assert notification.severity == "critical"


def test_flapping_start_is_a_note():
    raw = nagios_mail(
        "** FLAPPINGSTART Service Alert: db01/HTTP is CRITICAL **",
        service_body("FLAPPINGSTART", "db01", "HTTP", "CRITICAL", "CRITICAL - Socket timeout after 10 seconds"),
    )
    notification = parse(raw)

    assert notification.notification_type == "FLAPPINGSTART"
    assert notification.is_note_only is True
    assert notification.is_problem is False
    assert notification.is_recovery is False


@pytest.mark.parametrize(
    "kind",
    ["FLAPPINGSTOP", "FLAPPINGDISABLED", "DOWNTIMESTART", "DOWNTIMEEND", "DOWNTIMECANCELLED", "CUSTOM"],
)
def test_other_notification_types_are_notes(kind):
    notification = parse(nagios_mail(f"** {kind} Host Alert: h is DOWN **", host_body(kind, "h", "DOWN", "x")))
    assert notification.notification_type == kind
    assert notification.is_note_only is True
    assert notification.is_problem is False


@pytest.mark.parametrize(
    ("state", "severity"),
    [
        ("CRITICAL", "critical"),
        ("WARNING", "warning"),
        ("UNKNOWN", "error"),
        ("OK", "info"),
    ],
)
def test_service_severity(state, severity):
    raw = nagios_mail("** PROBLEM Service Alert: h/s is X **", service_body("PROBLEM", "h", "s", state, "out"))
    assert parse(raw).severity == severity


@pytest.mark.parametrize(("state", "severity"), [("DOWN", "critical"), ("UNREACHABLE", "critical"), ("UP", "info")])
def test_host_severity(state, severity):
    raw = nagios_mail("** PROBLEM Host Alert: h is X **", host_body("PROBLEM", "h", state, "out"))
    assert parse(raw).severity == severity


def test_info_spans_lines_until_a_blank_line():
    body = (
        "Notification Type: PROBLEM\nHost: h\nState: CRITICAL\nService: Backup\n"
        "Additional Info: CRITICAL - 2 jobs failed\njob nightly-db: exit 2\njob nightly-files: exit 1\n\n"
        "Service Perfdata: http://monitor.example.edu/pnp4nagios/\n"
    )
    notification = parse(nagios_mail("** PROBLEM Service Alert: h/Backup is CRITICAL **", body))
    assert notification.info == "CRITICAL - 2 jobs failed\njob nightly-db: exit 2\njob nightly-files: exit 1"


def test_info_stops_at_the_next_field():
    body = "Notification Type: PROBLEM\nHost: h\nState: DOWN\nInfo: PING CRITICAL\nComment: [] \n"
    notification = parse(nagios_mail("** PROBLEM Host Alert: h is DOWN **", body))
    assert notification.info == "PING CRITICAL"
    assert notification.comment == ""


@pytest.mark.parametrize(
    ("value", "date_header", "expected"),
    [
        ("Fri Jan 6 17:05:32 CET 2017", "", datetime(2017, 1, 6, 16, 5, 32, tzinfo=UTC)),
        ("Sat Jul 1 09:00:00 CEST 2017", "", datetime(2017, 7, 1, 7, 0, tzinfo=UTC)),
        ("2017-01-14 11:33:02 +0100", "", datetime(2017, 1, 14, 10, 33, 2, tzinfo=UTC)),
        # Zone-less: the offset of the Date header the same machine's mailer wrote.
        ("Fri Jan 6 17:05:32 2017", "Fri, 06 Jan 2017 17:05:33 -0500", datetime(2017, 1, 6, 22, 5, 32, tzinfo=UTC)),
        ("2017-01-06 17:05:32", "Fri, 06 Jan 2017 17:05:33 +0000", datetime(2017, 1, 6, 17, 5, 32, tzinfo=UTC)),
        # Ambiguous abbreviation (US or China) and no Date header: no guess.
        ("Fri Jan 6 17:05:32 CST 2017", "", None),
        ("Fri Jan 6 17:05:32 2017", "", None),
        ("last Friday", "Fri, 06 Jan 2017 17:05:33 +0000", None),
        ("2017-02-30 10:00:00 +0100", "", None),
    ],
)
def test_occurred_at(value, date_header, expected):
    body = host_body("PROBLEM", "h", "DOWN", "x", value)
    raw = nagios_mail("** PROBLEM Host Alert: h is DOWN **", body, date=date_header)
    occurred_at = parse(raw).occurred_at
    assert occurred_at == expected
    assert occurred_at is None or occurred_at.tzinfo is not None


def test_service_name_comes_from_the_subject_when_the_body_lacks_it():
    body = "Notification Type: PROBLEM\nHost: h\nState: CRITICAL\nAdditional Info: HTTP CRITICAL\n"
    notification = parse(nagios_mail("** PROBLEM Service Alert: h/HTTPS cert is CRITICAL **", body))
    assert notification.service == "HTTPS cert"
    assert notification.title == "HTTPS cert on h is CRITICAL"


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Printer broken", "The printer on floor 2 is broken again.\nState: annoyed\n"),
        ("Notification", "Notification Type: PROBLEM\nState: DOWN\n"),  # no host
        ("Notification", "Notification Type: PROBLEM\nHost: h\n"),  # no state
        ("Notification", "Notification Type: PANIC\nHost: h\nState: DOWN\n"),  # not a Nagios type
        ("Notification", "Notification Type: PROBLEM\nHost: h\nState: ON FIRE\n"),  # not a Nagios state
        ("Re: ** PROBLEM Host Alert: h is DOWN **", host_body("PROBLEM", "h", "DOWN", "x")),
        ("Fwd: ** PROBLEM Host Alert: h is DOWN **", host_body("PROBLEM", "h", "DOWN", "x")),
    ],
)
def test_other_mail_is_not_a_notification(subject, body):
    assert parse(nagios_mail(subject, body, sender="jane@example.edu")) is None


def test_quoted_notification_lines_do_not_count():
    body = "Is this bad?\n\n> Notification Type: PROBLEM\n> Host: h\n> State: DOWN\n"
    assert parse(nagios_mail("question", body, sender="jane@example.edu")) is None


def test_quoted_printable_body_with_soft_break_is_read():
    raw = (
        b"From: nagios@monitor.example.edu\nSubject: ** PROBLEM Host Alert: h is DOWN **\n"
        b"Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: quoted-printable\n\n"
        b"Notification Type: PROBLEM\n\nHost: h\nAddress: 127.0.0.1\nState: DOWN\n\n"
        b"Additional Info: CRITICAL - Host Unreachable (127.0.0.1)\n\nComment: [] ="
    )
    notification = parse(raw)
    assert notification.info == "CRITICAL - Host Unreachable (127.0.0.1)"
    assert notification.comment == ""
    assert notification.occurred_at is None
