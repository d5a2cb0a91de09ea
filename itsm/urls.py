from django.contrib import admin
from django.contrib.auth.views import PasswordResetView
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from itsm.api_docs import RedocView, SwaggerView
from itsm.security import ThrottledPasswordResetForm
from outages.views import review_list
from tickets.views import home

api_v1 = [
    path("", include("tickets.intake.urls")),
    path("", include("tickets.api.urls")),
    path("", include("sla.api.urls")),
    path("", include("outages.api.urls")),
]

urlpatterns = [
    path("", home, name="home"),
    path("", include("tickets.web.urls")),
    path("outages/reviews/", review_list, name="outage-reviews"),
    path("outages/radar/", include(("outages.web_radar", "radar"))),
    path("outages/affected/", include(("outages.portal", "affected"))),
    path("outages/", include(("outages.web", "console"))),
    path("admin/", admin.site.urls),
    # Before Django's auth URLs, so that the reset form is the throttled one (itsm.security).
    path("accounts/password_reset/", PasswordResetView.as_view(form_class=ThrottledPasswordResetForm),
         name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="api-redoc"),
]

# A path under /api/ that no route matches answers in the API's error shape, not with an HTML page.
handler404 = "itsm.api_errors.page_not_found"
