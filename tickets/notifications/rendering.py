"""Worker-side rendering: a row queued with its facts only gets its bodies when it is sent.

The changes that queue hundreds of messages at once (the SLA sweep, an outage's all-clear) would
spend more on rendering than on everything else they do per ticket, so they store the facts
(``Notification.context``) and the worker fills the ticket mail templates in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.template.loader import render_to_string

if TYPE_CHECKING:
    from .models import Notification

# The ticket messages' templates, one pair per kind; the queueing side chooses the words.
TEMPLATES = "tickets/email"


def render(notification: Notification) -> tuple[str, str]:
    """The text and HTML bodies of a row queued with a context."""
    kind = notification.kind
    return (render_to_string(f"{TEMPLATES}/{kind}.txt", notification.context),
            render_to_string(f"{TEMPLATES}/{kind}.html", notification.context))
