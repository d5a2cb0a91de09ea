from rest_framework.routers import SimpleRouter

from .views import HolidayViewSet

router = SimpleRouter()
router.register("calendar/holidays", HolidayViewSet, basename="holiday")

urlpatterns = router.urls
