"""Requests for Change of an outage: ``/api/v1/outages/{outage_id}/changes/``.

Staff only. Thin views: a serializer checks types, one service in ``outages.changes`` decides and writes.
A step the RFC's state does not allow (approving a rejected RFC, implementing one never approved) raises
``tickets.errors.StateConflict``, which the API's error handler answers 409 with ``code: invalid_state``.
"""

from typing import TYPE_CHECKING

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.decorators import action
from rest_framework.response import Response

from itsm.api_fields import StrictCharField
from tickets import policies
from tickets.api.idempotency import idempotent
from tickets.api.serializers import UserSummarySerializer
from tickets.http import AuthenticatedRequest

from .. import changes
from ..models import ChangeRequest, Outage


class IsStaff(drf_permissions.BasePermission):
    """ITS staff: outage records (RFCs, reviews, updates) are internal to ITS."""

    message = "Outage management is for ITS staff."

    def has_permission(self, request, view) -> bool:
        return policies.is_staff(request.user)


# The largest id a database row can have (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def outage_number(value) -> int:
    """The outage's number from the URL. One no row can have is a 404, not an overflow in the database: the
    outage's key is its ticket (a one-to-one key), whose lookups Django does not range-check as it does ids."""
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise Http404
    return number


def conflict_response(what: str) -> OpenApiResponse:
    return OpenApiResponse(description=f"`invalid_state`: {what}")


class TextField(StrictCharField):
    """A JSON string without null characters (a database text column cannot hold one)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if "\x00" in value:
            self.fail("null_characters")
        return value

    default_error_messages = {**StrictCharField.default_error_messages,
                              "null_characters": "Null characters are not allowed."}


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false`` only: DRF would also read ``"yes"`` or ``1``."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class RejectUnknownFieldsMixin:
    """A misspelled field is an error, not silently dropped; named together with every other wrong field."""

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors = {name: ["This field is unknown or read-only."] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict):
                errors = {**error.detail, **errors}
            raise serializers.ValidationError(errors or error.detail) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value


class ChangeRequestSerializer(serializers.ModelSerializer):
    """An RFC as staff read it, with who requested and who decided it."""

    requested_by = UserSummarySerializer(read_only=True)
    decided_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = ChangeRequest
        fields = ["id", "outage", "title", "reason", "implementation_plan", "backout_plan", "risk", "emergency",
                  "state", "requested_by", "requested_at", "decided_by", "decided_at", "implemented_at"]
        read_only_fields = fields


if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a stubs-only alias; DRF's error_messages is typed with it

_REQUIRED: "dict[str, StrOrPromise]" = {"required": "This field is required.", "blank": "This field is required."}


class ChangeRequestWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A new RFC: every text is required, as change management decides on them."""

    title = TextField(max_length=200, error_messages=_REQUIRED)
    reason = TextField(max_length=20_000, error_messages=_REQUIRED, help_text="Why the change is needed now.")
    implementation_plan = TextField(max_length=20_000, error_messages=_REQUIRED)
    backout_plan = TextField(max_length=20_000, error_messages=_REQUIRED,
                             help_text="How the change is undone if it makes things worse.")
    risk = serializers.ChoiceField(choices=ChangeRequest.Risk.choices)
    emergency = StrictBooleanField(default=True, help_text="An emergency RFC, pushed through to fix the outage.")


class ChangeRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           viewsets.GenericViewSet):
    """The Requests for Change linked to one outage, oldest first."""

    permission_classes = [drf_permissions.IsAuthenticated, IsStaff]
    request: AuthenticatedRequest  # IsAuthenticated: never an anonymous visitor
    serializer_class = ChangeRequestSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ChangeRequest.objects.none()
        outage_id = outage_number(self.kwargs["outage_id"])
        if not Outage.objects.filter(pk=outage_id).exists():
            raise Http404
        return (ChangeRequest.objects.filter(outage_id=outage_id)
                .select_related("requested_by", "decided_by").order_by("requested_at", "id"))

    def _respond(self, change: ChangeRequest, code: int = status.HTTP_200_OK) -> Response:
        change = self.get_queryset().get(pk=change.pk)
        return Response(ChangeRequestSerializer(change).data, status=code)

    @extend_schema(request=ChangeRequestWriteSerializer, responses={
        201: ChangeRequestSerializer,
        409: conflict_response("the outage is closed or cancelled."),
    })
    @idempotent
    def create(self, request, *args, **kwargs):
        """Request a change to fix the outage; it waits for a change approver."""
        serializer = ChangeRequestWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = changes.change_request(actor=request.user, outage_id=outage_number(self.kwargs["outage_id"]),
                                        **serializer.validated_data)
        return self._respond(change, status.HTTP_201_CREATED)

    def _decide(self, approve: bool) -> Response:
        change = self.get_object()
        return self._respond(changes.change_decide(actor=self.request.user, change_id=change.pk, approve=approve))

    @extend_schema(request=None, responses={
        200: ChangeRequestSerializer,
        409: conflict_response("the RFC was already approved or rejected."),
    })
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        """Approve a requested change (change approvers: the ``outages.approve_change`` permission)."""
        return self._decide(True)

    @extend_schema(request=None, responses={
        200: ChangeRequestSerializer,
        409: conflict_response("the RFC was already approved or rejected."),
    })
    @action(detail=True, methods=["post"])
    def reject(self, request, *args, **kwargs):
        """Reject a requested change (change approvers: the ``outages.approve_change`` permission)."""
        return self._decide(False)

    @extend_schema(request=None, responses={
        200: ChangeRequestSerializer,
        409: conflict_response("only an approved RFC can be implemented."),
    })
    @action(detail=True, methods=["post"])
    def implemented(self, request, *args, **kwargs):
        """Report an approved change as implemented."""
        change = self.get_object()
        return self._respond(changes.change_implemented(actor=request.user, change_id=change.pk))


# Under /api/v1/: ``path("", include("outages.api.changes"))``, or register the viewset with this prefix.
ROUTER_PREFIX = r"outages/(?P<outage_id>\d+)/changes"


def _urlpatterns():
    from rest_framework.routers import SimpleRouter

    router = SimpleRouter()
    router.register(ROUTER_PREFIX, ChangeRequestViewSet, basename="outage-change")
    return router.urls


urlpatterns = _urlpatterns()
