"""The tickets room's pages, one URL namespace per page family."""

from django.urls import include, path

urlpatterns = [
    path("work/", include(("tickets.web.work", "work"))),
    path("tickets/", include(("tickets.web.ticket_page", "ticket"))),
    path("queues/", include(("tickets.web.board", "board"))),
    path("desk/", include(("tickets.web.desk", "desk"))),
    path("portal/", include(("tickets.web.portal", "portal"))),
]
