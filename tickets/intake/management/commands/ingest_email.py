"""``manage.py ingest_email PATH|-``: one RFC 5322 message, so a mail server can pipe to the service desk."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from tickets.intake.email_intake import receive_email
from tickets.intake.models import RawEvent


class Command(BaseCommand):
    help = "Read one e-mail message from a file (or - for standard input) and turn it into a ticket or a reply."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The message file, or - to read standard input.")

    def handle(self, *args, path: str, **options):
        raw = self._read(path)
        if not raw.strip():
            raise CommandError("The message is empty.")
        try:
            event, created = receive_email(raw)
        except DatabaseError as error:
            # A non-zero exit makes the mail server keep the message and try again (EX_TEMPFAIL semantics).
            raise CommandError(f"The message could not be stored: {error}") from error
        if not created:
            self.stdout.write(f"Already received as event {event.pk}; nothing done again.")
        elif event.state == RawEvent.State.FAILED:
            self.stdout.write(f"Stored as event {event.pk}; processing failed and will be retried: {event.error}")
        else:
            self.stdout.write(f"Event {event.pk}: {event.decision}. {event.summary}")

    def _read(self, path: str) -> bytes:
        if path == "-":
            return sys.stdin.buffer.read()
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            return file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
