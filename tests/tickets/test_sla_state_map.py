"""The one map from a ticket status to an SLA clock state (``tickets.lifecycle.SLA_STATE``)."""

from sla import states
from sla.states import ClockState
from tickets.lifecycle import FINAL_STATUSES, OPEN_STATUSES, SLA_STATE, WAITING_STATUSES, Status, sla_state
from tickets.models import Ticket


def test_every_status_has_exactly_the_clock_state_its_meaning_gives():
    assert SLA_STATE == {
        Status.NEW: ClockState.RUNNING,
        Status.IN_PROCESS: ClockState.WORKING,
        Status.WAIT_CUSTOMER: ClockState.WAIT_CUSTOMER,
        Status.WAIT_VENDOR: ClockState.WAIT_VENDOR,
        Status.RESOLVED: ClockState.RESOLVED,
        Status.CUSTOMER_RESPONDED: ClockState.RUNNING,
        Status.CLOSED: ClockState.FINAL,
        Status.CANCELLED: ClockState.FINAL,
    }


def test_the_state_groups_sla_uses_are_the_status_groups_the_lifecycle_names():
    assert {status for status in Status if SLA_STATE[status] in states.OPEN} == OPEN_STATUSES
    assert {status for status in Status if SLA_STATE[status] in states.RESPOND_PAUSED} == WAITING_STATUSES
    assert {status for status in Status if SLA_STATE[status] in states.RESOLVE_PAUSED} == (
        WAITING_STATUSES | {Status.RESOLVED})
    assert {status for status in Status if SLA_STATE[status] == ClockState.FINAL} == FINAL_STATUSES
    assert {status for status in Status if SLA_STATE[status] in states.CLOCKS_RUN} == {
        Status.NEW, Status.IN_PROCESS, Status.CUSTOMER_RESPONDED}


def test_a_recorded_pause_names_the_same_value_before_and_after_the_map():
    # sla_pauses rows written before the clock states existed hold the status; the paused states keep its value.
    for status in WAITING_STATUSES | {Status.RESOLVED}:
        assert SLA_STATE[status].value == status.value


def test_a_ticket_reads_its_clock_state_from_its_status():
    assert sla_state("wait_vendor") is ClockState.WAIT_VENDOR
    assert Ticket(status=Status.CUSTOMER_RESPONDED).sla_state is ClockState.RUNNING
