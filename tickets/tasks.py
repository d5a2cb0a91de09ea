"""Tickets core's background tasks. The outbox's tasks live in ``tickets.notifications.tasks`` and
intake's in ``tickets.intake.tasks`` (their ``tickets.*`` names unchanged)."""
