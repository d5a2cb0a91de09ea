from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sla.matrix import Impact, Urgency
from tickets.api.serializers import UserSummarySerializer
from tickets.models import Classification, Service, Ticket, User

from .. import services
from ..models import Audience, ChangeRequest, Outage, Update

OUTAGE_CLASSES = [(c.value, c.label) for c in (Classification.OUTAGE, Classification.PROBLEM)]


class ChildSerializer(serializers.ModelSerializer):
    requester = UserSummarySerializer(read_only=True)

    class Meta:
        model = Ticket
        fields = ["id", "title", "status", "priority", "requester", "created_at"]
        read_only_fields = fields


class UpdateSerializer(serializers.ModelSerializer):
    posted_by = UserSummarySerializer(read_only=True)
    decided_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = Update
        fields = ["id", "kind", "text", "audiences", "posted_by", "posted_at", "next_update_at", "community_state",
                  "decided_by", "decided_at"]
        read_only_fields = fields


class ChangeSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeRequest
        fields = ["id", "title", "risk", "emergency", "state", "requested_at", "decided_at", "implemented_at"]
        read_only_fields = fields


class OutageSerializer(serializers.ModelSerializer):
    """An outage or problem with everything the incident manager and the service desk need on one page."""

    id = serializers.IntegerField(source="ticket_id", read_only=True, help_text="The outage ticket's number.")
    title = serializers.CharField(source="ticket.title", read_only=True)
    classification = serializers.CharField(source="ticket.classification", read_only=True)
    status = serializers.CharField(source="ticket.status", read_only=True)
    priority = serializers.CharField(source="ticket.priority", read_only=True)
    service = serializers.PrimaryKeyRelatedField[Service](source="ticket.service", read_only=True, allow_null=True)
    incident_manager = UserSummarySerializer(read_only=True, allow_null=True)
    responders = UserSummarySerializer(many=True, read_only=True)
    update_overdue = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()
    affected_users = serializers.SerializerMethodField()
    updates = UpdateSerializer(many=True, read_only=True)
    changes = ChangeSummarySerializer(many=True, read_only=True)
    review_state = serializers.SerializerMethodField()

    class Meta:
        model = Outage
        fields = ["id", "title", "classification", "status", "priority", "service", "incident_manager", "responders",
                  "audiences", "cadence_minutes", "next_update_due_at", "update_overdue", "workaround",
                  "workaround_published_at", "all_clear", "all_clear_sent_at", "permanent_fix", "children",
                  "affected_users", "updates", "changes", "review_state", "created_at"]
        read_only_fields = fields

    def get_update_overdue(self, outage: Outage) -> bool:
        return services.update_overdue(outage, timezone.now())

    @extend_schema_field(ChildSerializer(many=True))
    def get_children(self, outage: Outage) -> list[dict]:
        children = Ticket.objects.filter(parent_id=outage.ticket_id).select_related("requester").order_by("pk")
        return ChildSerializer(children, many=True).data  # type: ignore[return-value]  # a list: many=True

    @extend_schema_field(UserSummarySerializer(many=True))
    def get_affected_users(self, outage: Outage) -> list[dict]:
        return UserSummarySerializer(services.affected_users(outage), many=True).data  # type: ignore[return-value]

    def get_review_state(self, outage: Outage) -> str:
        review = getattr(outage, "review", None)
        return review.state if review is not None else ""


class OutageListSerializer(OutageSerializer):
    class Meta(OutageSerializer.Meta):
        fields = ["id", "title", "classification", "status", "priority", "service", "incident_manager",
                  "cadence_minutes", "next_update_due_at", "update_overdue", "created_at"]
        read_only_fields = fields


class OutageRaiseSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.filter(is_active=True), required=False,
                                                 allow_null=True)
    impact = serializers.ChoiceField(choices=Impact.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    classification = serializers.ChoiceField(choices=OUTAGE_CLASSES, default=Classification.OUTAGE)
    incident_manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True),
                                                          required=False, allow_null=True)


class PromoteSerializer(serializers.Serializer):
    ticket = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.all(), help_text="The incident to raise an outage from; it becomes the first child.")
    classification = serializers.ChoiceField(choices=OUTAGE_CLASSES, default=Classification.OUTAGE)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)


class UserRefSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class UsersRefSerializer(serializers.Serializer):
    users = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), many=True)


class RespondersAddSerializer(serializers.Serializer):
    """One person (``user``) or several (``users``) join the responders; the others stay."""

    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    users = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), many=True,
                                               required=False)

    def validate(self, attrs: dict) -> dict:
        people = ([attrs["user"]] if "user" in attrs else []) + list(attrs.get("users", []))
        if not people:
            raise serializers.ValidationError({"user": ["Name the responder to add (user, or users for several)."]})
        return {"users": list({person.pk: person for person in people}.values())}


class TicketIdsSerializer(serializers.Serializer):
    tickets = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1,
                                    max_length=services.MAX_CHILDREN_PER_CALL)


class ReclassifySerializer(serializers.Serializer):
    classification = serializers.ChoiceField(choices=OUTAGE_CLASSES)


class PlanSerializer(serializers.Serializer):
    audiences = serializers.ListField(child=serializers.ChoiceField(choices=Audience.choices), min_length=1)
    cadence_minutes = serializers.IntegerField(min_value=5, max_value=7 * 24 * 60)


class UpdatePostSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20_000)
    audiences = serializers.ListField(child=serializers.ChoiceField(choices=Audience.choices), min_length=1,
                                      required=False, help_text="Default: the plan's audiences.")


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20_000)


class ResolveSerializer(serializers.Serializer):
    all_clear = serializers.CharField(max_length=20_000, help_text="What caused it and how it was fixed, plainly.")
