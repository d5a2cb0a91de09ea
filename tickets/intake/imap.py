"""Polling a mailbox: each unseen message is stored and applied, then marked seen.

A message is marked only after it is committed, so a crash between the two re-reads it next time;
the Message-ID-and-content dedup makes that second read harmless.
"""

from __future__ import annotations

import imaplib
import logging
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings

from .email_intake import receive_email

log = logging.getLogger(__name__)

BATCH = 50


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password: str
    folder: str
    ssl: bool


def mailbox_from_url(url: str) -> Mailbox:
    """``imaps://user:password@host[:port]/FOLDER`` (or ``imap://`` for a plain local server)."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ValueError("IMAP_URL must look like imaps://user:password@imap.example.edu/INBOX")
    ssl = parts.scheme == "imaps"
    return Mailbox(
        host=parts.hostname,
        port=parts.port or (993 if ssl else 143),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        ssl=ssl,
    )


def poll(url: str | None = None) -> int:
    """Fetch up to ``BATCH`` unseen messages; returns how many were taken in."""
    url = url or settings.IMAP_URL
    if not url:
        return 0
    box = mailbox_from_url(url)
    client = (imaplib.IMAP4_SSL if box.ssl else imaplib.IMAP4)(box.host, box.port, timeout=30)
    try:
        client.login(box.user, box.password)
        client.select(box.folder)
        # typeshed types IMAP4.uid's arguments as str only; imaplib skips a None (here: no charset) and sends
        # bytes as they are, which is how the server's uids come back and are best sent again.
        _, data = client.uid("SEARCH", None, "UNSEEN")  # type: ignore[arg-type]
        uids = (data[0] or b"").split()[:BATCH]
        taken = 0
        for uid in uids:
            _, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")  # type: ignore[arg-type]  # bytes uid, as above
            raw = next((part[1] for part in fetched if isinstance(part, tuple)), None)
            if raw is None:
                continue
            receive_email(raw)
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")  # type: ignore[arg-type]  # bytes uid, as above
            taken += 1
        return taken
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            log.warning("IMAP logout failed", exc_info=True)
