"""Admin for intake: set up integrations (secrets shown once), read raw events, process one again."""

from django.contrib import admin, messages
from django.db import transaction

from .integrations import integration_create, integration_rotate_secrets
from .models import Alert, AlertGroup, Integration, RawEvent
from .services import event_process


def _show_secrets(modeladmin, request, integration, issued) -> None:
    text = f"The bearer token of “{integration.name}” is {issued.token}"
    if issued.routing_key:
        text += f" and its PagerDuty routing key is {issued.routing_key}"
    modeladmin.message_user(request, text + " — copy it now: only a digest is kept.", messages.WARNING)


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "service", "group", "auto_resolve", "impact", "is_active"]
    list_filter = ["kind", "is_active", "auto_resolve"]
    search_fields = ["name", "service__name"]
    readonly_fields = ["user", "created_at"]
    actions = ["rotate_secrets"]

    def get_fields(self, request, obj=None):
        fields = ["name", "kind", "service", "group", "auto_resolve", "impact", "severity_map", "senders", "is_active"]
        return [*fields, "user", "created_at"] if obj else fields

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "kind"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = {
            name: form.cleaned_data.get(name)
            for name in ("name", "kind", "service", "group", "auto_resolve", "impact", "severity_map", "senders")
        }
        integration, issued = integration_create(**data)
        obj.pk, obj.user = integration.pk, integration.user
        obj._state.adding = False
        _show_secrets(self, request, integration, issued)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: its events and tickets keep their source

    @admin.action(description="Issue new secrets (revoke the old token and routing key)")
    def rotate_secrets(self, request, queryset):
        for integration in queryset:
            _show_secrets(self, request, integration, integration_rotate_secrets(integration=integration))


@admin.register(RawEvent)
class RawEventAdmin(admin.ModelAdmin):
    list_display = ["id", "source", "integration", "received_at", "state", "decision", "ticket", "attempts"]
    list_filter = ["state", "source", "decision"]
    search_fields = ["message_id", "summary", "error", "content_hash"]
    date_hierarchy = "received_at"
    actions = ["process_again"]
    readonly_fields = [
        "source",
        "integration",
        "content_type",
        "headers",
        "body_text",
        "content_hash",
        "message_id",
        "dedup_key",
        "received_at",
        "state",
        "decision",
        "summary",
        "ticket",
        "attempts",
        "error",
        "next_attempt_at",
        "processed_at",
    ]
    exclude = ["body"]

    @admin.display(description="Body")
    def body_text(self, event: RawEvent) -> str:
        return bytes(event.body)[:100_000].decode("utf-8", "replace")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None  # the list (for the action); events themselves are a record

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Process the selected failed events again")
    def process_again(self, request, queryset):
        done = 0
        for event_id in queryset.filter(state=RawEvent.State.FAILED).values_list("pk", flat=True):
            transaction.on_commit(lambda event_id=event_id: event_process(event_id))
            done += 1
        self.message_user(request, f"{done} event(s) will be processed again.", messages.SUCCESS)


class AlertInline(admin.TabularInline):
    model = Alert
    extra = 0
    can_delete = False
    readonly_fields = [
        "fingerprint",
        "status",
        "title",
        "severity",
        "starts_at",
        "ends_at",
        "occurrences",
        "last_seen_at",
    ]
    exclude = ["labels", "link"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AlertGroup)
class AlertGroupAdmin(admin.ModelAdmin):
    list_display = ["id", "integration", "ticket", "is_open", "occurrences", "opened_at", "last_event_at"]
    list_filter = ["is_open", "integration"]
    search_fields = ["key", "ticket__title"]
    readonly_fields = [
        "integration",
        "key",
        "ticket",
        "is_open",
        "occurrences",
        "opened_at",
        "last_event_at",
        "closed_at",
    ]
    exclude = ["key_digest"]
    inlines = [AlertInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
