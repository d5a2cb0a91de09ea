from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from .api import AlertmanagerView, EmailRelayView, GrafanaView, IntegrationViewSet, PagerDutyEnqueueView, WebhookView

router = SimpleRouter()
router.register("integrations", IntegrationViewSet, basename="integration")

urlpatterns = [
    path("integrations/alertmanager/", AlertmanagerView.as_view(), name="intake-alertmanager"),
    path("integrations/grafana/", GrafanaView.as_view(), name="intake-grafana"),
    path("integrations/webhook/", WebhookView.as_view(), name="intake-webhook"),
    path("integrations/email/", EmailRelayView.as_view(), name="intake-email"),
    # PagerDuty's path has no trailing slash; clients configured by hand sometimes add one.
    re_path(r"^integrations/pagerduty/v2/enqueue/?$", PagerDutyEnqueueView.as_view(), name="intake-pagerduty"),
    *router.urls,
]
