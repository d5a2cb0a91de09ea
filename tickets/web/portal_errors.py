"""Service errors, said to a customer in plain words (never a 500, never "invalid")."""

from django.core.exceptions import ValidationError

from ..errors import NotAllowed, StateConflict, TicketError, VersionConflict
from ..lifecycle import InvalidTransition

# Form fields a service's ValidationError keys map onto, where the names differ.
FIELD_FOR = {"impact": "who", "urgency": "work", "file": "files", "body": "body"}


def plain_message(error: Exception) -> str:
    if isinstance(error, VersionConflict):
        return "Someone updated this request while you were looking at it. Here's the latest — try again."
    if isinstance(error, InvalidTransition):
        return "This request has moved on since you opened it, so that can't be done now. Here's the latest."
    if isinstance(error, StateConflict | NotAllowed | TicketError):
        return str(error)
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return "Something went wrong on our side. Your answers are still here; try again in a moment."


def add_to_form(form, error: ValidationError) -> None:
    """Put a service's field errors next to the matching question, the rest in the summary."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, " ".join(error.messages))
        return
    for field, messages in error.message_dict.items():
        target = FIELD_FOR.get(field, field)
        form.add_error(target if target in form.fields else None, messages)
