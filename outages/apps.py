from django.apps import AppConfig


class OutagesConfig(AppConfig):
    name = "outages"
    verbose_name = "Outages and problems"

    def ready(self) -> None:
        from tickets.services import CLOSE_GUARDS, PARENT_LINK_HOOKS

        from .services import child_linked, close_guard

        if close_guard not in CLOSE_GUARDS:
            CLOSE_GUARDS.append(close_guard)
        if child_linked not in PARENT_LINK_HOOKS:
            PARENT_LINK_HOOKS.append(child_linked)
