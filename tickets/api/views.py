"""The ticket resource: thin views that validate input, call one service, render the result."""

import re

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import filters, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import policies, selectors, services
from ..customers import customer_for_email
from ..errors import NotAllowed, VersionConflict
from ..models import Channel, Group, Service, Ticket, Visibility
from .filters import TicketFilter
from .idempotency import idempotent
from .serializers import (
    AttachmentSerializer,
    AuditEventSerializer,
    CustomerTicketSerializer,
    EntrySerializer,
    GroupSerializer,
    MeSerializer,
    NotificationSerializer,
    ServiceSerializer,
    TicketSerializer,
    TicketWriteSerializer,
)

_ETAG = re.compile(r'^(?:W/)?"?v?(\d+)"?$')


def _etag(ticket: Ticket) -> str:
    return f'"v{ticket.version}"'


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tickets: customers see only their own; staff see all. No deletes: tickets are cancelled."""

    permission_classes = [IsAuthenticated]
    filterset_class = TicketFilter
    filter_backends = [*viewsets.GenericViewSet.filter_backends,  # type: ignore[misc]  # the class's, as declared
                       filters.SearchFilter, filters.OrderingFilter]
    search_fields = ["title", "description"]
    ordering_fields = ["created_at", "updated_at", "respond_by", "resolve_by", "priority", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.ticket_list(user=self.request.user)

    def get_serializer_class(self):
        # The staff representation carries internal triage details (the SLA's management process).
        if policies.may_see_internal(self.request.user):
            return TicketSerializer
        return CustomerTicketSerializer

    def _respond(self, ticket: Ticket, code: int = status.HTTP_200_OK, *, fresh: bool = False) -> Response:
        """The ticket as the caller may see it. ``fresh``: ``ticket`` was just read through the caller's
        queryset, or just created, with its requester and assignee in hand: reading it again would
        return the same row."""
        if not fresh:
            ticket = selectors.ticket_list(user=self.request.user).get(pk=ticket.pk)
        response = Response(self.get_serializer(ticket).data, status=code)
        response["ETag"] = _etag(ticket)
        return response

    def retrieve(self, request, *args, **kwargs):
        return self._respond(self.get_object(), fresh=True)

    @extend_schema(request=TicketWriteSerializer, responses={201: TicketSerializer})
    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = TicketWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        misplaced = {"status": "A new ticket always starts as “new”.", "version": "Only updates carry a version."}
        if refused := {field: [message] for field, message in misplaced.items() if field in data}:
            raise ValidationError(refused)
        if "requester_email" in data:
            if "requester" in data:
                raise ValidationError({"requester_email": ["Send either requester or requester_email, not both."]})
            if not policies.may_log_for_others(request.user):
                raise NotAllowed("Only ITS staff may log a ticket for someone else.")
            data["requester"] = customer_for_email(data.pop("requester_email"))
        ticket = services.ticket_create(actor=request.user, channel=Channel.API, supplied=set(data), **data)
        return self._respond(ticket, status.HTTP_201_CREATED, fresh=True)

    @extend_schema(request=TicketWriteSerializer, responses={200: TicketSerializer})
    def partial_update(self, request, *args, **kwargs):
        ticket = self.get_object()
        serializer = TicketWriteSerializer(data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        expected, from_header = changes.pop("version", None), False
        if_match = request.headers.get("If-Match")
        if if_match:
            match = _ETAG.match(if_match.strip())
            if not match:
                raise ValidationError({"If-Match": ["Send the ETag you received, for example \"v3\"."]})
            expected, from_header = int(match.group(1)), True
        try:
            ticket = services.ticket_update(
                ticket_id=ticket.pk, actor=request.user, changes=changes, channel=Channel.API,
                expected_version=expected,
            )
        except VersionConflict as conflict:
            conflict.from_if_match = from_header
            raise
        return self._respond(ticket)

    # Sub-lists of one ticket are short and whole, and the ticket-list filters do not apply to them.
    @extend_schema(methods=["GET"], responses=EntrySerializer(many=True))
    @extend_schema(methods=["POST"], request=EntrySerializer, responses={201: EntrySerializer})
    @idempotent
    @action(detail=True, methods=["get", "post"], url_path="entries", filter_backends=[], pagination_class=None)
    def entries(self, request, pk=None):
        """The conversation: public replies, and internal notes for staff."""
        ticket = self.get_object()
        if request.method == "POST":
            serializer = EntrySerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            entry = services.entry_add(
                ticket_id=ticket.pk, actor=request.user, body=serializer.validated_data["body"],
                internal=serializer.validated_data["internal"], channel=Channel.API,
            )
            return Response(EntrySerializer(entry, context={"request": request}).data,
                            status=status.HTTP_201_CREATED)
        entries = selectors.ticket_entries(ticket=ticket, user=request.user)
        return Response(EntrySerializer(entries, many=True, context={"request": request}).data)

    @extend_schema(responses=PolymorphicProxySerializer(
        component_name="TimelineItem", resource_type_field_name="type", many=True,
        serializers={"change": AuditEventSerializer, "notification": NotificationSerializer},
    ))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def timeline(self, request, pk=None):
        """Every recorded change and every mail about the ticket, oldest first (internal items for staff only)."""
        ticket = self.get_object()
        changes = selectors.ticket_timeline(ticket=ticket, user=request.user)
        mail = selectors.ticket_notifications(ticket=ticket, user=request.user)
        # A stable sort on the instants keeps a change before the mail it caused.
        items = sorted([*((change, AuditEventSerializer) for change in changes),
                        *((sent, NotificationSerializer) for sent in mail)], key=lambda pair: pair[0].created_at)
        return Response([serializer(item, context={"request": request}).data for item, serializer in items])

    @extend_schema(methods=["GET"], responses=AttachmentSerializer(many=True))
    @extend_schema(methods=["POST"], request={"multipart/form-data": AttachmentSerializer},
                   responses={201: AttachmentSerializer})
    @idempotent
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser], filter_backends=[],
            pagination_class=None)
    def attachments(self, request, pk=None):
        ticket = self.get_object()
        if request.method == "POST":
            serializer = AttachmentSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            attachment = services.attachment_add(
                ticket_id=ticket.pk, actor=request.user, uploaded=serializer.validated_data["file"],
                internal=serializer.validated_data["internal"], channel=Channel.API,
            )
            return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        return Response(AttachmentSerializer(selectors.ticket_attachments(ticket=ticket, user=request.user),
                                             many=True).data)

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>\d+)/download", filter_backends=[])
    def download(self, request, pk=None, attachment_id=None):
        ticket = self.get_object()
        attachment = selectors.ticket_attachments(ticket=ticket, user=request.user).get(pk=attachment_id)
        response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                                content_type=attachment.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ServiceViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = ServiceSerializer
    queryset = Service.objects.filter(is_active=True)


class GroupViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = GroupSerializer
    queryset = Group.objects.all()

    def get_queryset(self):
        return self.queryset if policies.is_staff(self.request.user) else Group.objects.none()


class MeView(APIView):
    """The caller: who the token or session acts as."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user, context={"request": request}).data)


__all__ = ["GroupViewSet", "MeView", "ServiceViewSet", "TicketViewSet", "Visibility"]
