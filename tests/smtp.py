"""A real SMTP server on loopback, for tests that send through Django's SMTP backend."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class Mailbox:
    """Collects what the server accepted; ``refuse`` makes it answer 451 (try again later)."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[list[str], EmailMessage]] = []
        self.peers: set[tuple] = set()  # one (address, port) per client connection that sent mail
        self.refuse = False
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 Mailbox temporarily unavailable"
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.envelopes.append((list(envelope.rcpt_tos), parsed))
            self.peers.add(tuple(session.peer))
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [message for _, message in self.envelopes]

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [message for rcpts, message in self.envelopes if address in rcpts]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopbackSMTP:
    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> LoopbackSMTP:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
