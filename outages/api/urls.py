from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .outages import OutageViewSet, UpdateDecisionViewSet

router = SimpleRouter()
router.register("outages", OutageViewSet, basename="outage")
router.register("outage-updates", UpdateDecisionViewSet, basename="outage-update")

urlpatterns = [
    *router.urls,
    path("", include("outages.api.changes")),
    path("", include("outages.api.reviews")),
]
