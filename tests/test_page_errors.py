"""``itsm.page_errors``: one adapter from a service's error to what a page shows, for every page."""

from django import forms
from django.core.exceptions import ObjectDoesNotExist, ValidationError

from itsm import page_errors
from tickets.errors import InvalidTransition, NotAllowed, StateConflict, TicketError, VersionConflict
from tickets.models import Ticket
from tickets.web.portal import WORDING as PORTAL


class ReportForm(forms.Form):
    who = forms.CharField()
    title = forms.CharField()
    version = forms.IntegerField(widget=forms.HiddenInput)


def bound() -> ReportForm:
    form = ReportForm({"who": "me", "title": "Printer", "version": "3"})
    assert form.is_valid()
    return form


def test_field_messages_go_beside_the_form_field_that_asks_for_them():
    form = bound()

    page_errors.add_to_form(form, ValidationError({"impact": ["Choose who is affected."], "title": ["Too long."]}),
                            field_map={"impact": "who"})

    assert form.errors == {"who": ["Choose who is affected."], "title": ["Too long."]}


def test_messages_for_fields_the_form_lacks_or_hides_go_to_its_summary():
    form = bound()

    page_errors.add_to_form(form, ValidationError({"parent": ["A parent must be an outage."],
                                                   "version": ["Stale."], "__all__": ["Nothing to change."]}))

    assert form.errors == {"__all__": ["A parent must be an outage.", "Stale.", "Nothing to change."]}


def test_a_message_without_a_field_and_a_refusal_go_to_the_summary():
    plain, refused = bound(), bound()

    page_errors.add_to_form(plain, ValidationError(["First.", "Second."]))
    page_errors.add_to_form(refused, NotAllowed("Only ITS staff can write internal notes."))

    assert plain.errors == {"__all__": ["First.", "Second."]}
    assert refused.errors == {"__all__": ["Only ITS staff can write internal notes."]}


def test_a_stale_copy_in_words_for_staff_and_for_customers():
    stale = VersionConflict(current_version=4, sent_version=3)

    assert page_errors.words(stale) == ("Someone else changed this ticket while you had it open. The page now "
                                        "shows the latest version; check it, then try again.")
    assert page_errors.words(stale, wording=PORTAL).startswith("Someone else changed this request while you")


def test_a_move_the_machine_refuses_names_both_statuses_in_the_readers_words():
    refused = InvalidTransition("resolved", "cancelled", ["closed", "customer_responded"])

    assert page_errors.words(refused) == ("This ticket is now “Resolved”, so it can't move to “Cancelled”. The page "
                                          "now shows what can be done next.")
    assert page_errors.words(refused, wording=PORTAL) == (
        "This request is now “Fixed — please confirm”, so it can't move to “Withdrawn”. The page now shows what can "
        "be done next.")
    assert page_errors.words(InvalidTransition("new", "bogus", [])).startswith(
        "This ticket is now “New”, so it can't move to “bogus”.")


def test_refusals_conflicts_and_invalid_input_keep_the_services_own_words():
    assert page_errors.words(StateConflict("#7 can close only when all its child tickets are closed.")) == \
        "#7 can close only when all its child tickets are closed."
    assert page_errors.words(ValidationError({"body": ["A reply cannot be empty."], "file": ["Too big."]})) == \
        "A reply cannot be empty. Too big."
    assert page_errors.words(TicketError()) == "That step is not possible right now."


def test_a_record_that_went_away_is_named():
    assert page_errors.words(Ticket.DoesNotExist("Ticket matching query does not exist.")) == \
        "That ticket no longer exists. The page now shows what is there."
    assert page_errors.words(ObjectDoesNotExist()) == \
        "What this step needs no longer exists. The page now shows what is there."
