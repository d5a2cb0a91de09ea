"""HTTP doors for monitoring tools and mail relays, each speaking its client's status-code contract.

Alertmanager retries only a 5xx, never a 4xx: a body we cannot fully use is still stored and
answered 2xx, and only a fault of ours (the database down) is a 5xx. PagerDuty clients expect
PagerDuty's own answers. Bodies are read raw, stored, and only then parsed, so malformed input is
kept for the record and never reaches a 500.
"""

from __future__ import annotations

import contextlib
import json
import uuid

from django.conf import settings
from django.db import DatabaseError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from itsm.api_errors import ServiceUnavailable
from sla.matrix import Impact

from ..api.idempotency import idempotent
from ..auth import IntakeTokenAuthentication
from ..models import Group, Service
from ..policies import may_manage_integrations
from . import alerts as readers
from .integrations import integration_create, integration_for_routing_key, integration_rotate_secrets
from .models import Integration, RawEvent
from .services import event_process, event_store

# Larger bodies are refused with 413 before anything is stored; PagerDuty documents 512 KB.
MAX_BODY_BYTES = 1024 * 1024
PAGERDUTY_MAX_BODY_BYTES = 512 * 1024


class IsAdministrator(BasePermission):
    message = "Only administrators manage integrations."

    def has_permission(self, request, view) -> bool:
        return may_manage_integrations(request.user)


class IntegrationSerializer(serializers.ModelSerializer):
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.filter(is_active=True))
    group = serializers.PrimaryKeyRelatedField(queryset=Group.objects.all(), required=False, allow_null=True)
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    severity_map = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="critical / error / warning / info → an urgency value; missing entries use the defaults.",
    )
    endpoint = serializers.SerializerMethodField()

    class Meta:
        model = Integration
        fields = [
            "id",
            "name",
            "kind",
            "service",
            "group",
            "auto_resolve",
            "impact",
            "severity_map",
            "senders",
            "is_active",
            "endpoint",
            "created_at",
        ]
        read_only_fields = ["id", "endpoint", "created_at"]

    def get_endpoint(self, integration: Integration) -> str:
        """Where the tool posts (a path under this service), or how its events arrive."""
        paths: dict[str, str] = {
            Integration.Kind.PAGERDUTY: "/api/v1/integrations/pagerduty/v2/enqueue",
            Integration.Kind.NAGIOS: "e-mail from one of the sender addresses",
            Integration.Kind.EMAIL: "/api/v1/integrations/email/",
        }
        return paths.get(integration.kind, f"/api/v1/integrations/{integration.kind}/")


class IssuedIntegrationSerializer(IntegrationSerializer):
    token = serializers.CharField(
        read_only=True, allow_null=True,
        help_text="The bearer token; shown this once (null in an Idempotency-Key replay: rotate to get a new one).",
    )
    routing_key = serializers.CharField(
        read_only=True, allow_null=True, help_text="PagerDuty integrations: the routing key; shown this once."
    )

    class Meta(IntegrationSerializer.Meta):
        fields = [*IntegrationSerializer.Meta.fields, "token", "routing_key"]


class IntegrationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Monitoring integrations, for administrators. No deletes: deactivate, so past events keep their source."""

    permission_classes = [IsAuthenticated, IsAdministrator]
    serializer_class = IntegrationSerializer
    queryset = Integration.objects.select_related("service", "group")
    lookup_value_regex = r"\d+"
    parser_classes = [JSONParser]  # severity_map is an object, which a form cannot carry

    @extend_schema(responses={201: IssuedIntegrationSerializer})
    @idempotent(withhold=("token", "routing_key"))  # shown once, never stored: a replay has them null
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        integration, issued = integration_create(**serializer.validated_data)
        data = IntegrationSerializer(integration).data
        data.update(token=issued.token, routing_key=issued.routing_key)
        return Response(data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        """Change where its tickets go, the severity mapping, auto-resolve, or deactivate it."""
        from .integrations import validate_severity_map

        integration = self.get_object()
        serializer = self.get_serializer(integration, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "severity_map" in serializer.validated_data:
            validate_severity_map(serializer.validated_data["severity_map"])
        if "kind" in serializer.validated_data and serializer.validated_data["kind"] != integration.kind:
            raise exceptions.ValidationError({"kind": ["The kind cannot change; create a new integration."]})
        serializer.save()
        return Response(serializer.data)

    @extend_schema(request=None, responses={200: IssuedIntegrationSerializer})
    @action(detail=True, methods=["post"])
    def rotate(self, request, pk=None):
        """Revoke the secrets and issue new ones (shown this once)."""
        integration = self.get_object()
        issued = integration_rotate_secrets(integration=integration)
        data = IntegrationSerializer(integration).data
        data.update(token=issued.token, routing_key=issued.routing_key)
        return Response(data)


class IntegrationThrottle(SimpleRateThrottle):
    """A quota per integration token (or PagerDuty routing key), not per address."""

    scope = "integration"

    def get_cache_key(self, request, view) -> str | None:
        ident = getattr(view, "throttle_ident", None) or (request.auth.pk if request.auth is not None else None)
        return self.cache_format % {"scope": self.scope, "ident": ident} if ident else None


class IsIntegrationOfKind(BasePermission):
    def has_permission(self, request, view) -> bool:
        integration = getattr(request.user, "integration", None)
        if integration is None or not integration.is_active or integration.kind != view.kind:
            self.message = f"This token does not belong to an active {view.kind} integration."
            return False
        return True


EVENT_ANSWER = inline_serializer(
    "IntakeEventAnswer",
    {
        "event": serializers.IntegerField(help_text="The stored event's id."),
        "decision": serializers.CharField(
            help_text="created, appended, resolved, recovered, acknowledged, "
            "partly resolved, reopened, ignored…, or queued (will be retried)"
        ),
        "ticket": serializers.IntegerField(allow_null=True),
        "detail": serializers.CharField(),
    },
)


def _too_big(request, limit: int) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > limit
    except ValueError:
        return False


def _store_and_process(request, *, source: str, integration: Integration | None, **extra):
    """Commit the raw event, then process it; a database fault is a 503 so the client retries."""
    try:
        event, created = event_store(
            source=source, integration=integration, body=request.body, content_type=request.content_type or "", **extra
        )
    except DatabaseError:
        raise ServiceUnavailable("The event could not be stored; please retry.") from None
    if created:
        event = event_process(event.pk)
    return event, created


def _answer(event: RawEvent, created: bool) -> dict:
    if not created:
        return {
            "event": event.pk,
            "decision": "duplicate",
            "ticket": event.ticket_id,
            "detail": "This message was received before; nothing was done again.",
        }
    if event.state == RawEvent.State.FAILED:
        return {
            "event": event.pk,
            "decision": "queued",
            "ticket": None,
            "detail": "Stored; processing failed and will be retried.",
        }
    return {"event": event.pk, "decision": event.decision, "ticket": event.ticket_id, "detail": event.summary}


class AlertWebhookView(APIView):
    """Base of the Bearer-authenticated alert endpoints; subclasses name the kind."""

    kind: str = ""
    # Never cookies on webhooks; integration tokens only, which are refused on every other endpoint.
    authentication_classes = [IntakeTokenAuthentication]
    permission_classes = [IsAuthenticated, IsIntegrationOfKind]
    throttle_classes = [IntegrationThrottle]

    def post(self, request):
        if _too_big(request, MAX_BODY_BYTES):
            raise _PayloadTooLarge(MAX_BODY_BYTES)
        integration = request.user.integration
        try:
            json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            event_store(
                source=self.kind, integration=integration, body=request.body, content_type=request.content_type or ""
            )
            raise exceptions.ParseError(f"The body is not valid JSON: {error}") from None
        event, created = _store_and_process(request, source=self.kind, integration=integration)
        answer = _answer(event, created)
        code = status.HTTP_202_ACCEPTED if answer["decision"] == "queued" else status.HTTP_200_OK
        return Response(answer, status=code)


class _PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, limit: int):
        super().__init__(f"The body is larger than {limit:,} bytes.")


_ALERT_ERRORS = {
    400: OpenApiResponse(description="The body is not JSON (it is stored for the record)."),
    401: OpenApiResponse(description="No or an invalid token."),
    403: OpenApiResponse(description="The token is not an active integration of this kind."),
    413: OpenApiResponse(description="The body is over 1 MiB."),
    429: OpenApiResponse(description="Over the integration's quota; see Retry-After."),
    503: OpenApiResponse(description="The event could not be stored; retry."),
}


def _alert_schema(summary: str, example: dict):
    return extend_schema(
        summary=summary,
        # Any JSON: a value of another shape is stored and answered 200 "ignored: unusable", never a 4xx.
        request={"application/json": OpenApiTypes.ANY},
        responses={200: EVENT_ANSWER, 202: EVENT_ANSWER, **_ALERT_ERRORS},
        examples=[OpenApiExample("payload", value=example, request_only=True)],
        tags=["integrations"],
    )


class AlertmanagerView(AlertWebhookView):
    kind = Integration.Kind.ALERTMANAGER

    @_alert_schema(
        "Prometheus Alertmanager webhook (version 4)",
        {
            "version": "4",
            "groupKey": '{}:{alertname="DiskFull"}',
            "status": "firing",
            "receiver": "itsm",
            "groupLabels": {"alertname": "DiskFull"},
            "commonLabels": {"severity": "critical"},
            "commonAnnotations": {"summary": "Disk full on files01"},
            "externalURL": "http://alertmanager:9093",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "DiskFull", "instance": "files01"},
                    "annotations": {"summary": "Disk full on files01"},
                    "startsAt": "2026-11-26T10:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus/graph",
                    "fingerprint": "c6f1b5e4d2a39807",
                }
            ],
        },
    )
    def post(self, request):
        return super().post(request)


class GrafanaView(AlertWebhookView):
    kind = Integration.Kind.GRAFANA

    @_alert_schema(
        "Grafana alerting webhook",
        {
            "receiver": "itsm",
            "status": "firing",
            "orgId": 1,
            "groupKey": '{}:{alertname="High CPU"}',
            "title": "[FIRING:1] High CPU",
            "state": "alerting",
            "message": "CPU above 95%",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "High CPU"},
                    "annotations": {},
                    "startsAt": "2026-11-26T10:00:00Z",
                    "fingerprint": "57c6d9296de2ad39",
                }
            ],
        },
    )
    def post(self, request):
        return super().post(request)


class WebhookView(AlertWebhookView):
    """The generic shape: ``alert_uid`` (the dedup key), ``title``, ``state`` (``alerting`` or ``ok``),
    ``message``, ``link_to_upstream_details``, and optionally ``severity`` (critical, error, warning, info)."""

    kind = Integration.Kind.WEBHOOK

    @_alert_schema(
        "Generic JSON webhook (Zabbix's stock webhook media type)",
        {
            "alert_uid": "08d6891a-835c-e661-39fa-96b6a9e26552",
            "title": "Problem: High CPU on web01",
            "state": "alerting",
            "message": "CPU above 95% for 5 minutes",
            "link_to_upstream_details": "https://zabbix.example.edu/tr_events.php?triggerid=1",
        },
    )
    def post(self, request):
        return super().post(request)


PAGERDUTY_ANSWER = inline_serializer(
    "PagerDutyAnswer",
    {
        "status": serializers.CharField(),
        "message": serializers.CharField(),
        "dedup_key": serializers.CharField(required=False),
        "errors": serializers.ListField(child=serializers.CharField(), required=False),
    },
)


class PagerDutyEnqueueView(APIView):
    """PagerDuty Events API v2 ``enqueue``: authenticated by the ``routing_key`` in the body, as PagerDuty is."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [IntegrationThrottle]

    def initial(self, request, *args, **kwargs):
        # The quota is per routing key, so read it before the throttle runs.
        self.body = None
        if not _too_big(request, PAGERDUTY_MAX_BODY_BYTES):
            with contextlib.suppress(UnicodeDecodeError, ValueError):
                self.body = json.loads(request.body.decode("utf-8"))
        key = self.body.get("routing_key") if isinstance(self.body, dict) else None
        self.throttle_ident = f"pd:{readers.labels_fingerprint({'k': key})}" if isinstance(key, str) else None
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.Throttled):
            response = Response(
                {
                    "status": "throttle event",
                    "message": "Requests for this service are arriving too quickly. Please retry later.",
                },
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
            if exc.wait is not None:
                response["Retry-After"] = str(int(exc.wait) + 1)
            return response
        return super().handle_exception(exc)

    @extend_schema(
        summary="PagerDuty Events API v2",
        request={"application/json": OpenApiTypes.OBJECT},
        auth=[],
        responses={
            202: PAGERDUTY_ANSWER,
            400: PAGERDUTY_ANSWER,
            413: PAGERDUTY_ANSWER,
            429: PAGERDUTY_ANSWER,
            503: PAGERDUTY_ANSWER,
        },
        examples=[
            OpenApiExample(
                "trigger",
                request_only=True,
                value={
                    "routing_key": "0123456789abcdef0123456789abcdef",
                    "event_action": "trigger",
                    "dedup_key": "srv01/HTTP",
                    "payload": {"summary": "HTTP down on srv01", "source": "srv01", "severity": "critical"},
                },
            )
        ],
        tags=["integrations"],
    )
    def post(self, request):
        if _too_big(request, PAGERDUTY_MAX_BODY_BYTES):
            return _pagerduty_error(
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                "Request too large",
                "The event is larger than 512 KB",
                ["Body too large"],
            )
        body = self.body
        if body is None:
            return _pagerduty_error(
                400, "Unrecognized object", "Event object format is unrecognized", ["JSON parse error"]
            )
        key = body.get("routing_key") if isinstance(body, dict) else None
        if not isinstance(key, str) or len(key) != 32:
            return _pagerduty_error(
                400,
                "invalid event",
                "Event object is invalid",
                ["Length of 'routing_key' is incorrect (should be 32 characters)"],
            )
        if errors := readers.pagerduty_errors(body):
            return _pagerduty_error(400, "invalid event", "Event object is invalid", errors)
        integration = integration_for_routing_key(key)
        if integration is None:
            return _pagerduty_error(400, "invalid event", "Event object is invalid", ["Invalid routing key"])
        dedup_key = str(body.get("dedup_key") or "") or uuid.uuid4().hex
        try:
            event, _ = event_store(
                source=RawEvent.Source.PAGERDUTY,
                integration=integration,
                body=request.body,
                content_type=request.content_type or "",
                headers={"dedup_key": dedup_key},
            )
        except DatabaseError:
            return _pagerduty_error(503, "unavailable", "The event could not be stored; retry", [])
        event_process(event.pk)
        return Response(
            {"status": "success", "message": "Event processed", "dedup_key": dedup_key}, status=status.HTTP_202_ACCEPTED
        )


def _pagerduty_error(code: int, state: str, message: str, errors: list[str]) -> Response:
    return Response({"status": state, "message": message, "errors": errors}, status=code)


class EmailRelayView(APIView):
    """A mail server posts one raw RFC 5322 message (``Content-Type: message/rfc822``)."""

    kind = Integration.Kind.EMAIL
    authentication_classes = [IntakeTokenAuthentication]
    permission_classes = [IsAuthenticated, IsIntegrationOfKind]
    throttle_classes = [IntegrationThrottle]

    @extend_schema(
        summary="Inbound e-mail",
        request={"message/rfc822": OpenApiTypes.BINARY},
        responses={200: EVENT_ANSWER, 202: EVENT_ANSWER, **_ALERT_ERRORS},
        tags=["integrations"],
    )
    def post(self, request):
        # Django refuses to buffer more than this; larger mail arrives by pipe or IMAP instead.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if _too_big(request, limit):
            raise _PayloadTooLarge(limit)
        if not request.body.strip():
            raise exceptions.ParseError("The body is empty; post the raw message.")
        from .email_intake import receive_email

        try:
            event, created = receive_email(request.body)
        except DatabaseError:
            raise ServiceUnavailable("The message could not be stored; please retry.") from None
        answer = _answer(event, created)
        code = status.HTTP_202_ACCEPTED if answer["decision"] == "queued" else status.HTTP_200_OK
        return Response(answer, status=code)
