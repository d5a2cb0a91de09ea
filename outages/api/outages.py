"""The outage process over HTTP: thin views, each calling one service of ``outages.services``."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from tickets.api.idempotency import idempotent
from tickets.models import User

from .. import services
from ..models import Outage, Update
from .changes import IsStaff, outage_number
from .serializers import (
    ChildSerializer,
    OutageListSerializer,
    OutageRaiseSerializer,
    OutageSerializer,
    PlanSerializer,
    PromoteSerializer,
    ReclassifySerializer,
    ResolveSerializer,
    RespondersAddSerializer,
    TextSerializer,
    TicketIdsSerializer,
    UpdatePostSerializer,
    UpdateSerializer,
    UserRefSerializer,
    UsersRefSerializer,
)


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class OutageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Outages and problems, by their ticket number. Staff only; customers follow their own child tickets."""

    permission_classes = [IsAuthenticated, IsStaff]
    lookup_url_kwarg = "id"
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        queryset = Outage.objects.select_related("ticket", "incident_manager").order_by("-ticket__created_at")
        if self.action == "list":
            if classification := self.request.query_params.get("classification"):
                queryset = queryset.filter(ticket__classification=classification)
            if self.request.query_params.get("open") in ("1", "true"):
                queryset = queryset.filter(ticket__status__in=services.OPEN_STATUSES)
            return queryset
        return queryset.prefetch_related(
            "responders", "changes", Prefetch("updates", queryset=Update.objects.select_related(
                "posted_by", "decided_by")))

    def get_serializer_class(self):
        return OutageListSerializer if self.action == "list" else OutageSerializer

    def get_object(self):
        # A one-to-one key is not range-checked like an id: an absurd number must be a 404, not an overflow.
        self.kwargs["id"] = outage_number(self.kwargs["id"])
        return super().get_object()

    def _respond(self, outage: Outage, code: int = status.HTTP_200_OK) -> Response:
        outage = self.get_queryset().get(pk=outage.pk)
        return Response(OutageSerializer(outage, context={"request": self.request}).data, status=code)

    @extend_schema(request=OutageRaiseSerializer, responses={201: OutageSerializer})
    @idempotent
    def create(self, request):
        """Raise an outage or problem directly."""
        outage = services.outage_raise(actor=request.user, **_valid(OutageRaiseSerializer, request))
        return self._respond(outage, status.HTTP_201_CREATED)

    @extend_schema(request=PromoteSerializer, responses={201: OutageSerializer})
    @idempotent
    @action(detail=False, methods=["post"])
    def promote(self, request):
        """Raise an outage from an incident (the matrix flagged it, or reports pile up); it becomes a child."""
        data = _valid(PromoteSerializer, request)
        outage = services.incident_promote(actor=request.user, ticket_id=data["ticket"].pk,
                                           classification=data["classification"], title=data.get("title", ""))
        return self._respond(outage, status.HTTP_201_CREATED)

    @extend_schema(request=UserRefSerializer, responses={200: OutageSerializer})
    @action(detail=True, methods=["post"], url_path="incident-manager")
    def incident_manager(self, request, id=None):
        """The service owner names the incident manager, who becomes the assignee."""
        outage = services.incident_manager_set(actor=request.user, outage_id=self.get_object().pk,
                                               user=_valid(UserRefSerializer, request)["user"])
        return self._respond(outage)

    @extend_schema(methods=["POST"], request=RespondersAddSerializer, responses={200: OutageSerializer})
    @extend_schema(methods=["PUT"], request=UsersRefSerializer, responses={200: OutageSerializer})
    @action(detail=True, methods=["post", "put"])
    def responders(self, request, id=None):
        """POST adds responders (``user`` or ``users``); PUT replaces the whole list. Never the incident manager."""
        outage = self.get_object()
        if request.method == "PUT":
            outage = services.responders_set(actor=request.user, outage_id=outage.pk,
                                             users=_valid(UsersRefSerializer, request)["users"])
        else:
            for user in _valid(RespondersAddSerializer, request)["users"]:
                outage = services.responder_add(actor=request.user, outage_id=outage.pk, user=user)
        return self._respond(outage)

    @extend_schema(request=None, responses={200: OutageSerializer})
    @action(detail=True, methods=["delete"], url_path=r"responders/(?P<user_id>\d+)")
    def responder(self, request, id=None, user_id=None):
        """One responder leaves the fix."""
        outage = self.get_object()
        user = get_object_or_404(User, pk=int(user_id))
        return self._respond(services.responder_remove(actor=request.user, outage_id=outage.pk, user=user))

    @extend_schema(request=TicketIdsSerializer, responses={200: ChildSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def children(self, request, id=None):
        """Link incidents as children, one or many; each requester is told once that the issue is known."""
        linked = services.children_link(actor=request.user, outage_id=self.get_object().pk,
                                        ticket_ids=_valid(TicketIdsSerializer, request)["tickets"])
        return Response(ChildSerializer(linked, many=True).data)

    @extend_schema(request=TicketIdsSerializer, responses={200: ChildSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="children/unlink")
    def unlink(self, request, id=None):
        unlinked = services.children_unlink(actor=request.user, outage_id=self.get_object().pk,
                                            ticket_ids=_valid(TicketIdsSerializer, request)["tickets"])
        return Response(ChildSerializer(unlinked, many=True).data)

    @extend_schema(request=ReclassifySerializer, responses={200: OutageSerializer})
    @action(detail=True, methods=["post"])
    def reclassify(self, request, id=None):
        """Outage → problem once a workaround is in place, and back."""
        outage = services.outage_reclassify(actor=request.user, outage_id=self.get_object().pk,
                                            classification=_valid(ReclassifySerializer, request)["classification"])
        return self._respond(outage)

    @extend_schema(request=PlanSerializer, responses={200: OutageSerializer})
    @action(detail=True, methods=["put"])
    def plan(self, request, id=None):
        """The communication plan: audiences and how often updates go out."""
        outage = services.plan_set(actor=request.user, outage_id=self.get_object().pk,
                                   **_valid(PlanSerializer, request))
        return self._respond(outage)

    @extend_schema(request=UpdatePostSerializer, responses={200: UpdateSerializer(many=True), 201: UpdateSerializer})
    @idempotent
    @action(detail=True, methods=["get", "post"])
    def updates(self, request, id=None):
        """Updates sent under the plan; posting one sends it and sets the next due time."""
        outage = self.get_object()
        if request.method == "GET":
            return Response(UpdateSerializer(outage.updates.select_related("posted_by", "decided_by"),
                                             many=True).data)
        data = _valid(UpdatePostSerializer, request)
        update = services.update_post(actor=request.user, outage_id=outage.pk, text=data["text"],
                                      audiences=data.get("audiences"))
        return Response(UpdateSerializer(update).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TextSerializer, responses={201: UpdateSerializer})
    @idempotent
    @action(detail=True, methods=["post"])
    def workaround(self, request, id=None):
        """A problem's workaround: recorded and sent to every affected user at once."""
        update = services.workaround_publish(actor=request.user, outage_id=self.get_object().pk,
                                             text=_valid(TextSerializer, request)["text"])
        return Response(UpdateSerializer(update).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ResolveSerializer, responses={200: OutageSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, id=None):
        """Resolve with the all-clear to every audience that was told; open children are resolved too."""
        outage = services.outage_resolve(actor=request.user, outage_id=self.get_object().pk,
                                         all_clear=_valid(ResolveSerializer, request)["all_clear"])
        return self._respond(outage)

    @extend_schema(request=TextSerializer, responses={200: OutageSerializer})
    @action(detail=True, methods=["post"], url_path="permanent-fix")
    def permanent_fix(self, request, id=None):
        outage = services.permanent_fix_record(actor=request.user, outage_id=self.get_object().pk,
                                               text=_valid(TextSerializer, request)["text"])
        return self._respond(outage)

    @extend_schema(request=None, responses={200: OutageSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, id=None):
        """Close: refused (409, naming them) while any child is open, and for a problem without its fix."""
        outage = services.outage_close(actor=request.user, outage_id=self.get_object().pk)
        return self._respond(outage)


class UpdateDecisionViewSet(viewsets.GenericViewSet):
    """Community messages held for approval: Communications / Senior Leadership approve or reject them."""

    permission_classes = [IsAuthenticated, IsStaff]
    serializer_class = UpdateSerializer
    queryset = Update.objects.select_related("outage__ticket", "posted_by", "decided_by")
    lookup_value_regex = r"\d+"

    @extend_schema(responses={200: UpdateSerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None)
    def held(self, request):
        """Messages waiting for an approval, oldest first."""
        held = self.get_queryset().filter(community_state=Update.CommunityState.HELD).order_by("posted_at")
        return Response(UpdateSerializer(held, many=True).data)

    @extend_schema(request=None, responses={200: UpdateSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return Response(UpdateSerializer(services.update_decide(actor=request.user, update_id=self.get_object().pk,
                                                                approve=True)).data)

    @extend_schema(request=None, responses={200: UpdateSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return Response(UpdateSerializer(services.update_decide(actor=request.user, update_id=self.get_object().pk,
                                                                approve=False)).data)
