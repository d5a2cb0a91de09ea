from rest_framework.routers import SimpleRouter

from .views import GroupViewSet, MeViewSet, ServiceViewSet, TicketViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")
router.register("services", ServiceViewSet, basename="service")
router.register("groups", GroupViewSet, basename="group")
router.register("me", MeViewSet, basename="me")

urlpatterns = router.urls
