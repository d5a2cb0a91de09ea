"""The audit trail records each change once, with its actor and channel, and cannot be edited;
two people changing one ticket at once never silently overwrite each other."""

import re

import pytest
from django.db import InternalError, connection, transaction
from django.db.models import ProtectedError

from tickets import services
from tickets.errors import NotAllowed, VersionConflict
from tickets.models import AuditEvent, Channel, ConversationEntry, Group, Ticket
from tickets.process import process_ticket_create, process_ticket_link


@pytest.fixture
def ticket(customer, email_service):
    return services.ticket_create(
        actor=customer, title="Cannot send mail", impact="individual", urgency="impaired", service=email_service,
        channel=Channel.WEB,
    )


def test_creation_is_recorded_once_with_actor_and_channel(ticket, customer):
    events = list(AuditEvent.objects.filter(ticket=ticket))
    assert [(e.action, e.field, e.new_value, e.actor, e.channel) for e in events] == [
        ("created", "status", "new", customer, "web")
    ]


def test_each_changed_field_is_one_event_and_unchanged_fields_none(ticket, technician, service_desk):
    services.ticket_update(
        ticket_id=ticket.pk, actor=technician, channel=Channel.API,
        changes={"title": "Cannot send mail from Outlook", "assignee": technician, "group": service_desk},
    )

    changes = AuditEvent.objects.filter(ticket=ticket, action="changed").order_by("field")
    assert [(e.field, e.old_value, e.new_value, e.actor, e.channel) for e in changes] == [
        ("assignee", "", str(technician.pk), technician, "api"),
        ("title", "Cannot send mail", "Cannot send mail from Outlook", technician, "api"),
    ]


def test_reprioritisation_records_priority_change(ticket, technician):
    services.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"impact": "university",
                                                                            "urgency": "stopped_no_workaround"})
    fields = dict(AuditEvent.objects.filter(ticket=ticket, action="changed").values_list("field", "new_value"))
    assert fields == {"impact": "university", "urgency": "stopped_no_workaround", "priority": "emergency"}


def test_audit_events_cannot_be_edited_or_deleted(ticket):
    event = AuditEvent.objects.get(ticket=ticket)
    event.new_value = "closed"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(ticket=ticket).update(new_value="closed")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(ticket=ticket).delete()
    assert AuditEvent.objects.get(ticket=ticket).new_value == "new"


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "UPDATE tickets_auditevent SET new_value = 'closed' WHERE ticket_id = %s",
    "DELETE FROM tickets_auditevent WHERE ticket_id = %s",
])
def test_plain_sql_cannot_change_or_delete_the_audit_trail(ticket, statement):
    """PostgreSQL: a trigger refuses UPDATE and DELETE on the table, whoever sends them. SQLite has no trigger
    (its test flush deletes rows): there the ORM is what refuses."""
    if connection.vendor == "postgresql":
        refusal = f"The audit trail is append-only: {statement.split()[0]} on tickets_auditevent is refused."
        with pytest.raises(InternalError, match=re.escape(refusal)), transaction.atomic(), connection.cursor() as c:
            c.execute(statement, [ticket.pk])
    else:
        with pytest.raises(TypeError, match="Audit events are append-only"):
            if statement.startswith("UPDATE"):
                AuditEvent.objects.filter(ticket=ticket).update(new_value="closed")
            else:
                AuditEvent.objects.filter(ticket=ticket).delete()
    assert list(AuditEvent.objects.filter(ticket=ticket).values_list("action", "new_value")) == [("created", "new")]


def test_new_audit_events_are_still_written(ticket, technician):
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="On it.")

    assert list(AuditEvent.objects.filter(ticket=ticket).values_list("action", flat=True)) == ["created", "replied"]


def test_a_ticket_with_history_cannot_be_deleted(ticket):
    with pytest.raises(ProtectedError):
        ticket.delete()

    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert AuditEvent.objects.filter(ticket=ticket).count() == 1


def test_internal_note_is_audited_as_internal(ticket, technician):
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="Mailbox over quota", internal=True)
    event = AuditEvent.objects.get(ticket=ticket, action="noted")
    assert event.internal is True
    assert ConversationEntry.objects.get(ticket=ticket).visibility == "internal"


def test_customer_cannot_write_internal_notes(ticket, customer):
    with pytest.raises(NotAllowed):
        services.entry_add(ticket_id=ticket.pk, actor=customer, body="psst", internal=True)
    assert not ConversationEntry.objects.exists()


def test_stale_version_is_refused_and_nothing_is_overwritten(ticket, technician, dispatcher):
    version_read_by_both = ticket.version
    services.ticket_update(ticket_id=ticket.pk, actor=dispatcher, changes={"title": "Outlook cannot send"},
                           expected_version=version_read_by_both)

    with pytest.raises(VersionConflict) as conflict:
        services.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"title": "Mail broken"},
                               expected_version=version_read_by_both)

    assert conflict.value.current_version == version_read_by_both + 1
    ticket.refresh_from_db()
    assert ticket.title == "Outlook cannot send"
    assert not AuditEvent.objects.filter(ticket=ticket, new_value="Mail broken").exists()


def test_a_reply_written_against_a_stale_version_is_refused_and_not_posted(ticket, technician, dispatcher):
    seen = ticket.version
    services.entry_add(ticket_id=ticket.pk, actor=dispatcher, body="Asked the customer for a screenshot.")

    with pytest.raises(VersionConflict):
        services.entry_add(ticket_id=ticket.pk, actor=technician, body="Could you send a screenshot?",
                           expected_version=seen)

    assert list(ConversationEntry.objects.filter(ticket=ticket).values_list("body", flat=True)) == [
        "Asked the customer for a screenshot."]


def test_every_write_increments_the_version(ticket, technician):
    first = ticket.version
    ticket = services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status="in_process")
    assert ticket.version == first + 1
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="Looking into it")
    assert Ticket.objects.get(pk=ticket.pk).version == first + 2


def test_customer_may_not_change_staff_fields(ticket, customer, technician):
    with pytest.raises(NotAllowed):
        services.ticket_update(ticket_id=ticket.pk, actor=customer, changes={"assignee": technician})
    with pytest.raises(NotAllowed):
        services.ticket_update(ticket_id=ticket.pk, actor=customer, changes={"impact": "university"})
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.impact == "individual"


def test_moving_to_another_group_unassigns_a_non_member(ticket, technician, service_desk):
    services.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"assignee": technician})
    network = Group.objects.create(name="Network", slug="network")

    services.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"group": network})

    ticket.refresh_from_db()
    assert (ticket.group, ticket.assignee) == (network, None)
    assert AuditEvent.objects.filter(ticket=ticket, field="assignee", new_value="").exists()


def test_assignee_must_be_staff_in_the_group(ticket, technician, other_customer, make_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"assignee": other_customer})
    assert "assignee" in refused.value.message_dict
    outsider = make_user("outsider", staff=True)
    with pytest.raises(ValidationError):
        services.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"assignee": outsider})


def test_parent_must_be_an_outage_or_problem(ticket, technician, customer):
    from django.core.exceptions import ValidationError

    other = services.ticket_create(actor=customer, title="Another", impact="individual", urgency="impaired")
    with pytest.raises(ValidationError):
        services.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"parent": other})
    outage = process_ticket_create(actor=technician, title="Mail down", impact="university",
                                   urgency="stopped_no_workaround", classification="outage")
    process_ticket_link(actor=technician, ticket_id=ticket.pk, parent=outage)
    assert list(outage.children.all()) == [ticket]
    with pytest.raises(ValidationError):  # the process door checks the links too
        process_ticket_link(actor=technician, ticket_id=outage.pk, parent=outage)
