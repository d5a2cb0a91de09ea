"""Outgoing mail as an app of its own: the outbox, distribution lists, recipients, threading, delivery.

Tickets core queues through ``services.queue`` and reads sent mail through ``selectors``; this app
knows a ticket only as ``"tickets.Ticket"`` and the facts it is handed, so it imports nothing of
tickets core.
"""
