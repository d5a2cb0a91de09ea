from django.urls import path
from rest_framework.routers import SimpleRouter

from .bulk import BulkAssignView, BulkMoveView
from .views import GroupViewSet, MeView, ServiceViewSet, TicketViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")
router.register("services", ServiceViewSet, basename="service")
router.register("groups", GroupViewSet, basename="group")

# Before the router: "tickets/<pk>/" would otherwise match "tickets/bulk-assign/".
urlpatterns = [
    path("tickets/bulk-assign/", BulkAssignView.as_view(), name="ticket-bulk-assign"),
    path("tickets/bulk-move/", BulkMoveView.as_view(), name="ticket-bulk-move"),
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
]
