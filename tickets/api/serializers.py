from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from itsm.api_fields import StrictCharField
from sla.matrix import Impact, ManagementProcess, Urgency
from tickets.notifications import selectors as mail

from .. import policies
from ..lifecycle import Status
from ..models import (
    Attachment,
    AuditEvent,
    Classification,
    ConversationEntry,
    Group,
    Service,
    Source,
    Ticket,
    User,
)
from .representation import PlannedRepresentation


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file part of a multipart upload: documented as bytes, where drf-spectacular would say a URL string."""


class UserSummarySerializer(PlannedRepresentation, serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name", "email"]

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.username

    def to_representation(self, user: User) -> dict:
        data = super().to_representation(user)
        request = self.context.get("request")
        viewer = getattr(request, "user", None)
        # Without a request (an internal rendering) nobody is being shown anything.
        if viewer is not None and not policies.may_see_contact_details(viewer, user):
            data["username"], data["email"] = "", ""
        return data


class MeSerializer(UserSummarySerializer):
    """The caller: who the token or session acts as."""

    is_staff = serializers.BooleanField(read_only=True, help_text="ITS staff (sees internal notes, all tickets).")

    class Meta(UserSummarySerializer.Meta):
        fields = [*UserSummarySerializer.Meta.fields, "is_staff"]


class TicketSerializer(PlannedRepresentation, serializers.ModelSerializer):
    """The ticket as every client reads it. Derived SLA fields are read-only."""

    requester = UserSummarySerializer(read_only=True)
    assignee = UserSummarySerializer(read_only=True, allow_null=True)
    # Staff only: a customer's answer leaves it out, so the schema cannot call it required (as it would any
    # read-only field). Never written through this serializer: input is TicketWriteSerializer's.
    sla_process = serializers.ChoiceField(
        choices=ManagementProcess.choices, allow_blank=True, required=False,
        help_text="Staff only: the management process the SLA matrix assigned; absent in customers' answers.",
    )
    allowed_next_statuses = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id", "classification", "title", "description", "status", "allowed_next_statuses",
            "impact", "urgency", "impact_category", "priority", "sla_clock", "sla_process", "sla_small_reason",
            "respond_by", "resolve_by", "responded_at", "resolved_at", "closed_at", "sla_paused",
            "respond_breached", "resolve_breached", "source", "requester", "service", "group", "assignee",
            "parent", "created_at", "updated_at", "version",
        ]
        read_only_fields = fields

    def get_allowed_next_statuses(self, ticket: Ticket) -> list[str]:
        request = self.context.get("request")
        return policies.allowed_statuses(getattr(request, "user", None), ticket)


class CustomerTicketSerializer(TicketSerializer):
    """What a customer sees: no assignee details beyond a name, no internal triage codes."""

    class Meta(TicketSerializer.Meta):
        fields = [f for f in TicketSerializer.Meta.fields if f not in {"sla_process"}]
        read_only_fields = fields


class TicketWriteSerializer(serializers.Serializer):
    """Input for create and update: types and enum values only; roles and rules are the services'."""

    title = StrictCharField(max_length=200)
    description = StrictCharField(required=False, allow_blank=True, max_length=100_000)
    impact = serializers.ChoiceField(choices=Impact.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    classification = serializers.ChoiceField(choices=Classification.choices, required=False)
    # `source` and `parent` are also attributes of a DRF field in the stubs; the serializer's metaclass
    # moves declared fields out of the class, so the names are free at run time.
    source = serializers.ChoiceField(choices=Source.choices, required=False)  # type: ignore[assignment]
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.filter(is_active=True), required=False,
                                                 allow_null=True)
    group = serializers.PrimaryKeyRelatedField(queryset=Group.objects.all(), required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                                  allow_null=True)
    requester = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    requester_email = serializers.EmailField(
        required=False, write_only=True,
        help_text="Staff logging a call for someone: their address; an unknown address becomes a customer account.",
    )
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Ticket.objects.all(), required=False, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text="The version you last read.")

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields) if isinstance(self.initial_data, dict) else set()
        if unknown:
            raise serializers.ValidationError(
                {name: ["This field is unknown or read-only."] for name in sorted(unknown)}
            )
        return attrs

    def validate_title(self, value: str) -> str:
        if "\x00" in value:
            raise serializers.ValidationError("Null characters are not allowed.")
        return value

    def validate_description(self, value: str) -> str:
        if "\x00" in value:
            raise serializers.ValidationError("Null characters are not allowed.")
        return value


class EntrySerializer(serializers.ModelSerializer):
    author = UserSummarySerializer(read_only=True, allow_null=True)
    body = StrictCharField(style={"base_template": "textarea.html"})
    internal = serializers.BooleanField(default=False, write_only=True)

    class Meta:
        model = ConversationEntry
        fields = ["id", "author", "visibility", "body", "channel", "created_at", "internal"]
        read_only_fields = ["id", "author", "visibility", "channel", "created_at"]

    def validate_body(self, value: str) -> str:
        if "\x00" in value:
            raise serializers.ValidationError("Null characters are not allowed.")
        return value


class AuditEventSerializer(serializers.ModelSerializer):
    type = serializers.SerializerMethodField()
    actor = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = ["type", "id", "action", "field", "old_value", "new_value", "actor", "channel", "created_at"]
        read_only_fields = fields

    def get_type(self, event: AuditEvent) -> str:
        return "change"


class NotificationSerializer(serializers.Serializer):
    """A mail about the ticket on its timeline: what, to whom, and whether and when it went out."""

    # Declared field by field: the rows are the notifications app's (``selectors.ticket_notifications``),
    # and this API shows what it chooses of them.
    type = serializers.SerializerMethodField()
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=mail.Kind.choices, read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    to = serializers.JSONField(read_only=True, help_text="Recipient addresses.")
    subject = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(choices=mail.State.choices, read_only=True)
    attempts = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    sent_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_type(self, notification) -> str:
        return "notification"


class AttachmentSerializer(serializers.ModelSerializer):
    file = UploadField(write_only=True)
    internal = serializers.BooleanField(default=False, write_only=True)

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "visibility", "created_at", "file", "internal"]
        read_only_fields = ["id", "original_name", "content_type", "size", "visibility", "created_at"]


class ServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "name", "slug", "description", "default_group"]
        read_only_fields = fields


class GroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = Group
        fields = ["id", "name", "slug"]
        read_only_fields = fields
