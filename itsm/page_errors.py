"""Service errors as the pages show them: on the form that was sent, or in a sentence at the top of the page.

Every page that calls a service catches ``SERVICE_ERRORS`` and hands the error here (the API has its own
adapter, ``itsm.api_errors``). A ``ValidationError`` naming fields puts each message beside the field the
form asks it with (``field_map`` translates a service's field name into the form's); everything else (a
refusal, a conflict, a record gone) becomes plain words, the same words on every page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ObjectDoesNotExist, ValidationError

from tickets.errors import InvalidTransition, ProcessConflict, TicketError, VersionConflict
from tickets.lifecycle import Status

# What a page catches around a service call: bad input, a refusal or conflict, a row that went away.
SERVICE_ERRORS: tuple[type[Exception], ...] = (ValidationError, TicketError, InvalidTransition, ObjectDoesNotExist)

STEP_NOT_POSSIBLE = "That step is not possible right now."


def status_label(status: str) -> str:
    """A status as staff read it ("In Process"); an unknown value as sent."""
    return Status(status).label if status in Status.values else status


@dataclass(frozen=True)
class Wording:
    """How a page names what it works on: staff say "ticket" and the status's name, the portal says "request"
    and the customer's words for it."""

    thing: str = "ticket"
    status: Callable[[str], str] = status_label


STAFF = Wording()


def _gone(error: ObjectDoesNotExist) -> str:
    # Model.DoesNotExist is named after its model ("Ticket.DoesNotExist"); the base class names none.
    owner, _, _ = type(error).__qualname__.rpartition(".")
    what = f"That {owner.lower()}" if owner else "What this step needs"
    return f"{what} no longer exists. The page now shows what is there."


def words(error: Exception, *, wording: Wording = STAFF) -> str:
    """``error`` in one or two plain sentences for the top of a page."""
    if isinstance(error, VersionConflict):
        return (f"Someone else changed this {wording.thing} while you had it open. The page now shows the latest "
                "version; check it, then try again.")
    if isinstance(error, InvalidTransition):
        return (f"This {wording.thing} is now “{wording.status(error.current)}”, so it can't move to "
                f"“{wording.status(error.requested)}”. The page now shows what can be done next.")
    if isinstance(error, ValidationError):
        return " ".join(error.messages) or STEP_NOT_POSSIBLE
    if isinstance(error, ObjectDoesNotExist):
        return _gone(error)
    if isinstance(error, ProcessConflict):
        where = (f"on the outage console ({error.console})" if error.console
                 else "by raising an outage, or promoting this incident, from the queue board")
        return f"{error.reason} That is done {where}."
    if isinstance(error, TicketError):
        return str(error) or STEP_NOT_POSSIBLE
    return "Something went wrong on our side. Your answers are still here; try again in a moment."


def add_to_form(form: forms.BaseForm, error: Exception, *, field_map: Mapping[str, str] | None = None,
                wording: Wording = STAFF) -> None:
    """Show ``error`` on ``form``: a service's field messages beside the form's matching visible field, the rest
    (and every refusal or conflict, in ``words``) in the form's error summary."""
    if not isinstance(error, ValidationError):
        form.add_error(None, words(error, wording=wording))
        return
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    field_map = field_map or {}
    for key, messages in error.message_dict.items():
        name = field_map.get(key, key)
        field = form.fields.get(name)
        # A hidden field (the version a form carries) has no place to show a message: it goes to the summary.
        shown = field is not None and not field.widget.is_hidden
        form.add_error(name if shown else None, messages)
