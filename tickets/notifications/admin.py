"""Admin for outgoing mail: the distribution lists, and the outbox with its "send again" action."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone

from . import outbox
from .models import DistributionList, Notification


@admin.register(DistributionList)
class DistributionListAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "requires_approval", "is_active"]
    list_filter = ["requires_approval", "is_active"]
    search_fields = ["name", "slug", "email", "member_addresses"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox: what was sent, what waits, and what failed with which error."""

    list_display = ["created_at", "ticket", "kind", "recipients", "state", "attempts", "sent_at", "last_error"]
    list_filter = ["state", "kind", "distribution_list"]
    search_fields = ["subject", "to", "ticket__id", "last_error"]
    date_hierarchy = "created_at"
    list_select_related = ["ticket"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["send_again"]

    @admin.display(description="To")
    def recipients(self, notification: Notification) -> str:
        return ", ".join(notification.to)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Send the selected failed notifications again")
    def send_again(self, request, queryset):
        with transaction.atomic():
            ids = list(queryset.filter(state=Notification.State.FAILED).values_list("pk", flat=True))
            Notification.objects.filter(pk__in=ids).update(
                state=Notification.State.PENDING, attempts=0, next_attempt_at=timezone.now(), lease_until=None
            )
            transaction.on_commit(lambda: outbox.dispatch(ids))
        self.message_user(request, f"{len(ids)} notification(s) queued again.", messages.SUCCESS)
