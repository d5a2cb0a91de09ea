from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Its models keep their ``tickets_*`` tables: the app was split out of ``tickets`` without moving rows."""

    name = "tickets.notifications"
    label = "notifications"
    verbose_name = "Notifications"
