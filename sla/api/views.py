from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets
from rest_framework.request import Request
from rest_framework.views import APIView

from ..models import Holiday
from .serializers import HolidaySerializer


class StaffReadAdminWrite(permissions.BasePermission):
    """ITS staff may read calendars; only administrators change them."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        return request.method in permissions.SAFE_METHODS or user.is_superuser


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("calendar", str, description="Calendar slug")]),
)
class HolidayViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
                     mixins.DestroyModelMixin, viewsets.GenericViewSet[Holiday]):
    """Holidays of the business calendars (the default calendar unless ``calendar`` is given)."""

    serializer_class = HolidaySerializer
    permission_classes = [StaffReadAdminWrite]
    pagination_class = None

    def get_queryset(self) -> QuerySet[Holiday]:
        queryset = Holiday.objects.select_related("calendar")
        slug = self.request.query_params.get("calendar")
        if slug:
            return queryset.filter(calendar__slug=slug)
        return queryset.filter(calendar__is_default=True) if self.action == "list" else queryset
