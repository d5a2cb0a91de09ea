"""Each monitoring tool's native payload, read into one shape: a batch of alerts under one key.

Pure functions, no database: the tools' formats change (new fields appear every release), so the
readers take what they know, keep going without what is missing, and raise ``PayloadError`` only
when nothing usable is left. Unknown fields are simply not read; the raw body is stored elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

FIRING, ACKNOWLEDGED, RESOLVED = "firing", "acknowledged", "resolved"

# Longest stored texts; tools send megabytes of annotations at times.
TITLE_MAX = 1500
DESCRIPTION_MAX = 10_000

_SEVERITY_WORDS = {
    "critical": (
        "critical",
        "crit",
        "fatal",
        "emergency",
        "emerg",
        "alert",
        "page",
        "disaster",
        "high",
        "p1",
        "sev1",
        "down",
        "unreachable",
    ),
    "error": ("error", "err", "major", "average", "p2", "sev2"),
    "warning": ("warning", "warn", "minor", "medium", "p3", "sev3"),
    "info": (
        "info",
        "informational",
        "information",
        "notice",
        "low",
        "none",
        "ok",
        "debug",
        "p4",
        "p5",
        "not classified",
    ),
}
_SEVERITY_BY_WORD = {word: severity for severity, words in _SEVERITY_WORDS.items() for word in words}
# Without a severity label the alert still pages someone: "error" maps to work stopped with a workaround.
DEFAULT_SEVERITY = "error"
SEVERITY_RANK = {"critical": 4, "error": 3, "warning": 2, "info": 1}


class PayloadError(ValueError):
    """Nothing in the body can be used; ``errors`` says what is wrong, for the client."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass(frozen=True)
class AlertSignal:
    fingerprint: str
    status: str
    title: str
    severity: str
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    link: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class AlertBatch:
    """What one delivery says about one key: the alerts it names and, for groups, the group's state."""

    key: str
    title: str
    alerts: list[AlertSignal]
    description: str = ""
    # False when the tool left alerts out (Alertmanager's truncatedAlerts): those are not known resolved.
    complete: bool = True
    # True when the tool told us the whole group resolved, not only the alerts it lists.
    group_resolved: bool = False

    @property
    def firing(self) -> list[AlertSignal]:
        return [alert for alert in self.alerts if alert.status == FIRING]

    @property
    def severity(self) -> str:
        firing = self.firing or self.alerts
        return max((alert.severity for alert in firing), key=SEVERITY_RANK.__getitem__, default=DEFAULT_SEVERITY)


def normalise_severity(value: Any) -> str:
    word = str(value or "").strip().lower()
    return _SEVERITY_BY_WORD.get(word, DEFAULT_SEVERITY)


def parse_time(value: Any) -> datetime | None:
    """RFC 3339 with up to 9 fractional digits, ``Z`` or ``+0000``; the Go zero time means unset."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)  # Python keeps microseconds only
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.year <= 1:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _text(value: Any, limit: int = TITLE_MAX) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, dict | list) else str(value)
    return value.replace("\x00", "").strip()[:limit]


def _strings(mapping: Any) -> dict[str, str]:
    if not isinstance(mapping, dict):
        return {}
    return {str(key): _text(value, 2000) for key, value in mapping.items()}


def labels_fingerprint(labels: dict[str, str]) -> str:
    """Alertmanager's fingerprint is a hash of the label set; older versions do not send it."""
    canonical = json.dumps(sorted(labels.items()), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _first(*values: Any) -> str:
    for value in values:
        text = _text(value)
        if text:
            return text
    return ""


def _describe(labels: dict[str, str], annotations: dict[str, str], link: str) -> str:
    lines = [f"{name}: {value}" for name, value in annotations.items() if name not in {"summary", "title"}]
    if labels:
        lines.append("Labels: " + ", ".join(f"{name}={value}" for name, value in sorted(labels.items())))
    if link:
        lines.append(f"Source: {link}")
    return "\n".join(lines)[:DESCRIPTION_MAX]


def _require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise PayloadError(["The body must be a JSON object."])
    return body


def _prometheus_alerts(body: dict[str, Any]) -> list[AlertSignal]:
    raw_alerts = body.get("alerts")
    if not isinstance(raw_alerts, list):
        raise PayloadError(["“alerts” must be a list of alerts."])
    top_status = RESOLVED if str(body.get("status", "")).lower() == RESOLVED else FIRING
    alerts = []
    for raw in raw_alerts:
        if not isinstance(raw, dict):
            continue
        labels, annotations = _strings(raw.get("labels")), _strings(raw.get("annotations"))
        status = str(raw.get("status") or top_status).lower()
        link = _text(raw.get("generatorURL") or raw.get("panelURL") or raw.get("dashboardURL"), 2000)
        alerts.append(
            AlertSignal(
                fingerprint=_text(raw.get("fingerprint"), 255) or labels_fingerprint(labels),
                status=RESOLVED if status in (RESOLVED, "ok", "normal") else FIRING,
                title=_first(
                    annotations.get("summary"),
                    annotations.get("title"),
                    annotations.get("message"),
                    annotations.get("description"),
                    labels.get("alertname"),
                    "Alert",
                ),
                severity=normalise_severity(labels.get("severity") or annotations.get("severity")),
                description=_describe(labels, annotations, link),
                labels=labels,
                link=link if link.startswith(("http://", "https://")) else "",
                starts_at=parse_time(raw.get("startsAt")),
                ends_at=parse_time(raw.get("endsAt")),
            )
        )
    if not alerts:
        raise PayloadError(["“alerts” holds no alert objects."])
    return alerts


def _group_key(body: dict[str, Any]) -> str:
    # Alerta's v3 sample sends an integer beyond 2**53: json keeps it exact, str() keeps it exact.
    key = body.get("groupKey")
    if key not in (None, ""):
        return _text(key, 4000)
    group_labels = _strings(body.get("groupLabels"))
    return f"{body.get('receiver', '')}:{json.dumps(sorted(group_labels.items()), ensure_ascii=False)}"


def _group_title(body: dict[str, Any], alerts: list[AlertSignal]) -> str:
    common = _strings(body.get("commonAnnotations"))
    group_labels = _strings(body.get("groupLabels"))
    if len(alerts) == 1:
        return _first(common.get("summary"), common.get("title"), alerts[0].title)
    title = _first(
        common.get("summary"),
        common.get("title"),
        body.get("title") if "orgId" in body else None,
        group_labels.get("alertname"),
        alerts[0].title,
    )
    if not common.get("summary"):
        title = f"{title} ({len(alerts)} alerts)"
    return title


def alertmanager(body: Any) -> AlertBatch:
    """Prometheus Alertmanager's webhook (version 4, and the older shapes without fingerprints)."""
    body = _require_object(body)
    alerts = _prometheus_alerts(body)
    truncated = body.get("truncatedAlerts")
    return AlertBatch(
        key=_group_key(body),
        title=_group_title(body, alerts),
        alerts=alerts,
        description=_text(body.get("externalURL"), 2000),
        complete=not (isinstance(truncated, int) and truncated > 0),
        group_resolved=str(body.get("status", "")).lower() == RESOLVED,
    )


def grafana(body: Any) -> AlertBatch:
    """Grafana alerting's webhook (v1, Alertmanager-like), and legacy dashboard alerts."""
    body = _require_object(body)
    if "alerts" not in body and ("ruleId" in body or "ruleName" in body or "evalMatches" in body):
        return _grafana_legacy(body)
    alerts = _prometheus_alerts(body)
    truncated = body.get("truncatedAlerts")
    state = str(body.get("status") or body.get("state") or "").lower()
    return AlertBatch(
        key=f"{body.get('orgId', '')}:{_group_key(body)}",
        title=_group_title(body, alerts),
        alerts=alerts,
        description=_text(body.get("message"), DESCRIPTION_MAX),
        complete=not (isinstance(truncated, int) and truncated > 0),
        group_resolved=state in (RESOLVED, "ok"),
    )


def _grafana_legacy(body: dict[str, Any]) -> AlertBatch:
    state = str(body.get("state", "")).lower()
    key = f"legacy:{body.get('ruleId') or body.get('ruleName')}"
    matches = found if isinstance(found := body.get("evalMatches"), list) else []
    lines = [_text(body.get("message"), DESCRIPTION_MAX)]
    lines += [f"{m.get('metric')}: {m.get('value')}" for m in matches if isinstance(m, dict)]
    link = _text(body.get("ruleUrl"), 2000)
    title = _first(body.get("title"), body.get("ruleName"), "Grafana alert")
    alert = AlertSignal(
        fingerprint=key,
        status=RESOLVED if state == "ok" else FIRING,
        title=title,
        severity=normalise_severity(_strings(body.get("tags")).get("severity")),
        description="\n".join(line for line in lines if line),
        labels=_strings(body.get("tags")),
        link=link if link.startswith(("http://", "https://")) else "",
    )
    return AlertBatch(key=key, title=title, alerts=[alert], group_resolved=state == "ok")


PAGERDUTY_ACTIONS = {"trigger": FIRING, "acknowledge": ACKNOWLEDGED, "resolve": RESOLVED}
PAGERDUTY_SEVERITIES = ("critical", "error", "warning", "info")


def pagerduty_errors(body: Any) -> list[str]:
    """PagerDuty's own validation rules for Events API v2, so clients get the answers they expect."""
    if not isinstance(body, dict):
        return ["Event object must be a JSON object"]
    errors = []
    action = body.get("event_action")
    if action not in PAGERDUTY_ACTIONS:
        errors.append("'event_action' is missing or invalid; expected trigger, acknowledge or resolve")
    dedup_key = body.get("dedup_key")
    if dedup_key is not None and (not isinstance(dedup_key, str | int) or len(str(dedup_key)) > 255):
        errors.append("'dedup_key' must be a string of at most 255 characters")
    if action in ("acknowledge", "resolve") and not dedup_key:
        errors.append(f"'dedup_key' is required to {action}")
    if action == "trigger":
        payload = body.get("payload")
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or not an object")
        else:
            summary = payload.get("summary")
            if not isinstance(summary, str) or not summary.strip():
                errors.append("'payload.summary' is missing or blank")
            elif len(summary) > 1024:
                errors.append("'payload.summary' is longer than 1024 characters")
            if not isinstance(payload.get("source"), str) or not payload["source"].strip():
                errors.append("'payload.source' is missing or blank")
            if payload.get("severity") not in PAGERDUTY_SEVERITIES:
                errors.append("'payload.severity' must be one of critical, error, warning, info")
    return errors


def pagerduty(body: Any, *, default_key: str = "") -> AlertBatch:
    """PagerDuty Events API v2: one event per request, identified by its ``dedup_key``."""
    if errors := pagerduty_errors(body):
        raise PayloadError(errors)
    status = PAGERDUTY_ACTIONS[body["event_action"]]
    key = _text(body.get("dedup_key"), 255) or default_key or uuid.uuid4().hex
    payload = body.get("payload") if isinstance(body.get("payload"), dict) else {}
    details = payload.get("custom_details")
    lines = [f"Source: {_text(payload.get('source'))}"] if payload.get("source") else []
    for name in ("component", "group", "class"):
        if payload.get(name):
            lines.append(f"{name.capitalize()}: {_text(payload[name])}")
    if details:
        lines.append("Details: " + _text(details, DESCRIPTION_MAX))
    links = [link.get("href", "") for link in body.get("links") or [] if isinstance(link, dict)]
    link = next((href for href in links if str(href).startswith(("http://", "https://"))), "")
    title = _text(payload.get("summary")) or f"PagerDuty event {key}"
    alert = AlertSignal(
        fingerprint=key,
        status=status,
        title=title,
        severity=severity if isinstance(severity := payload.get("severity"), str) and severity in PAGERDUTY_SEVERITIES
        else DEFAULT_SEVERITY,
        description="\n".join(lines)[:DESCRIPTION_MAX],
        link=_text(link, 2000),
        labels={"source": _text(payload.get("source"))} if payload.get("source") else {},
        starts_at=parse_time(payload.get("timestamp")),
    )
    return AlertBatch(
        key=key, title=title, alerts=[alert], description=alert.description, group_resolved=status == RESOLVED
    )


_WEBHOOK_RESOLVED = {"ok", "resolved", "recovered", "normal", "up"}


def webhook(body: Any) -> AlertBatch:
    """The documented generic shape: ``{alert_uid, title, state: alerting|ok, message, link_to_upstream_details}``.

    It is what Zabbix's stock webhook media type sends; ``status`` is read where ``state`` is absent.
    """
    body = _require_object(body)
    title = _text(body.get("title"))
    uid = _text(body.get("alert_uid"), 255)
    if not uid and not title:
        raise PayloadError(["Send at least “alert_uid” or “title”."])
    state = str(body.get("state") or body.get("status") or "alerting").strip().lower()
    link = _text(body.get("link_to_upstream_details"), 2000)
    alert = AlertSignal(
        fingerprint=uid or labels_fingerprint({"title": title}),
        status=RESOLVED if state in _WEBHOOK_RESOLVED else FIRING,
        title=title or f"Alert {uid}",
        severity=normalise_severity(body.get("severity")),
        description=_text(body.get("message"), DESCRIPTION_MAX),
        link=link if link.startswith(("http://", "https://")) else "",
    )
    return AlertBatch(
        key=alert.fingerprint,
        title=alert.title,
        alerts=[alert],
        description=alert.description,
        group_resolved=alert.status == RESOLVED,
    )


READERS = {"alertmanager": alertmanager, "grafana": grafana, "pagerduty": pagerduty, "webhook": webhook}
