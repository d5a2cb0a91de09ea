from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """Its models keep their ``tickets_*`` tables: the app was split out of ``tickets`` without moving rows."""

    name = "tickets.intake"
    label = "intake"
    verbose_name = "Intake"
