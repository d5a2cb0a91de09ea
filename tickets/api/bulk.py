"""Bulk routing for dispatchers: assign or move up to 100 tickets in one all-or-nothing request.

Who may: administrators (superusers) on every ticket; a dispatcher on the tickets in the queues of the
groups they dispatch (a ticket not yet in any group: when it is moved into a group they dispatch).
Technicians who dispatch nothing and customers get 403, anonymous clients 401.

Each ticket is changed by ``tickets.services.ticket_update`` inside one transaction
(``tickets.services.tickets_bulk_update``), so it gets its audit events, version bump, notifications and
assignment checks exactly as if changed alone. If any ticket is refused, no ticket is changed and the
answer names every failing ticket::

    {"detail": "2 of 3 tickets cannot be changed; no ticket was changed.",
     "code": "invalid" | "conflict" | "permission_denied",
     "errors": {"tickets": ["Refused: tickets 12, 15. No ticket was changed."],
                "12": ["assignee: tech is not a member of the group “Network”."],
                "15": ["The ticket is closed; a final ticket cannot be reassigned."]},
     "failed": [12, 15]}

The status is the most severe of the refusals: 403 when a ticket is not the caller's to route (checked
before anything is written), else 409 when a ticket is closed or cancelled, else 400 (validation).
Malformed input (too many ids, unknown ids, unknown assignee or group) is a plain 400 with the field
under ``errors``, e.g. ``{"errors": {"tickets": ["Unknown ticket ids: 998, 999."]}}``.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions as drf_permissions
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import policies, services
from ..models import Channel, Group, User

_FAILURE_STATUS = {
    "not_allowed": (status.HTTP_403_FORBIDDEN, "permission_denied"),
    "conflict": (status.HTTP_409_CONFLICT, "conflict"),
    "invalid": (status.HTTP_400_BAD_REQUEST, "invalid"),
}


class IsDispatcherOrAdministrator(drf_permissions.BasePermission):
    """Staff who dispatch at least one group, and administrators; which tickets is the service's rule."""

    message = "Only dispatchers and administrators can assign or move tickets in bulk."

    def has_permission(self, request, view) -> bool:
        return policies.may_bulk_route(request.user)


class _BulkSerializer(serializers.Serializer):
    tickets = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False,
        help_text=f"Ticket ids, 1 to {services.BULK_MAX_TICKETS} after removing duplicates.",
    )

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields) if isinstance(self.initial_data, dict) else set()
        if unknown:
            raise serializers.ValidationError({name: ["This field is unknown."] for name in sorted(unknown)})
        return attrs

    def validate_tickets(self, value: list[int]) -> list[int]:
        value = list(dict.fromkeys(value))
        if len(value) > services.BULK_MAX_TICKETS:
            raise serializers.ValidationError(
                f"At most {services.BULK_MAX_TICKETS} tickets per request; you sent {len(value)}."
            )
        return value


class BulkAssignSerializer(_BulkSerializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True,
        help_text="The technician to assign; null unassigns (the tickets stay in their group's queue).",
    )
    group = serializers.PrimaryKeyRelatedField(
        queryset=Group.objects.all(), required=False,
        help_text="Also move the tickets to this group; the assignee must be a member of it.",
    )


class BulkMoveSerializer(_BulkSerializer):
    group = serializers.PrimaryKeyRelatedField(
        queryset=Group.objects.all(),
        help_text="The group whose queue receives the tickets. An incident's assignee who is not a member "
                  "of it is unassigned.",
    )


class BulkResultSerializer(serializers.Serializer):
    updated = serializers.ListField(child=serializers.IntegerField(), help_text="Tickets changed (version bumped).")
    unchanged = serializers.ListField(child=serializers.IntegerField(),
                                      help_text="Tickets that were already so; nothing was written for them.")
    count = serializers.IntegerField(help_text="How many tickets were changed.")


class BulkErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]  # a declared field, not Serializer.errors
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="`tickets`: what is wrong with the list; then one entry per failing ticket id.",
    )
    failed = serializers.ListField(child=serializers.IntegerField(), required=False,
                                   help_text="The ids of the failing tickets, when tickets were refused.")


_FAILURE_EXAMPLE = OpenApiExample(
    "One ticket refused", status_codes=["400"], response_only=True,
    value={"detail": "1 of 3 tickets cannot be changed; no ticket was changed.", "code": "invalid",
           "errors": {"tickets": ["Refused: ticket 12. No ticket was changed."],
                      "12": ["assignee: tech is not a member of the group “Network”."]},
           "failed": [12]},
)
_ERRORS = {
    400: BulkErrorSerializer, 401: BulkErrorSerializer, 403: BulkErrorSerializer, 409: BulkErrorSerializer,
}


def failure_response(failure: services.BulkUpdateFailed) -> Response:
    code, name = _FAILURE_STATUS[failure.kind]
    ids = ", ".join(map(str, failure.failures))
    noun = "ticket" if len(failure.failures) == 1 else "tickets"
    errors = {"tickets": [f"Refused: {noun} {ids}. No ticket was changed."]}
    errors.update({str(pk): [message] for pk, (_, message) in failure.failures.items()})
    body = {"detail": str(failure), "code": name, "errors": errors, "failed": list(failure.failures)}
    return Response(body, status=code)


class _BulkView(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, IsDispatcherOrAdministrator]
    parser_classes = [JSONParser]
    input_serializer: type[_BulkSerializer]

    def post(self, request):
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        ticket_ids = data.pop("tickets")
        try:
            updated, unchanged = services.tickets_bulk_update(
                actor=request.user, ticket_ids=ticket_ids, changes=data, channel=Channel.API,
            )
        except services.BulkUpdateFailed as failure:
            return failure_response(failure)
        body = {"updated": [t.pk for t in updated], "unchanged": [t.pk for t in unchanged], "count": len(updated)}
        return Response(BulkResultSerializer(body).data)


class BulkAssignView(_BulkView):
    """Assign tickets to one technician (or unassign with ``null``), optionally moving them to ``group``.

    The assignee must be a member of each incident's group (the new one when ``group`` is sent).
    All or nothing: see the module documentation for the error answer naming each failing ticket.
    """

    input_serializer = BulkAssignSerializer

    @extend_schema(
        operation_id="tickets_bulk_assign",
        summary="Assign many tickets at once (dispatchers)",
        request=BulkAssignSerializer, responses={200: BulkResultSerializer, **_ERRORS},
        examples=[_FAILURE_EXAMPLE], tags=["tickets"],
    )
    def post(self, request):
        return super().post(request)


class BulkMoveView(_BulkView):
    """Move tickets to another group's queue.

    Follows ``ticket_update``: an incident whose assignee is not a member of the new group is unassigned
    (and the new group's queue is notified); a member keeps the ticket. Outage and problem tickets keep
    their incident manager. All or nothing, as for bulk assign.
    """

    input_serializer = BulkMoveSerializer

    @extend_schema(
        operation_id="tickets_bulk_move",
        summary="Move many tickets to another group (dispatchers)",
        request=BulkMoveSerializer, responses={200: BulkResultSerializer, **_ERRORS},
        examples=[_FAILURE_EXAMPLE], tags=["tickets"],
    )
    def post(self, request):
        return super().post(request)
