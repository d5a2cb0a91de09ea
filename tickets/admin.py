from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone

from .models import (
    ApiToken,
    Attachment,
    AuditEvent,
    ConversationEntry,
    Group,
    Service,
    Ticket,
    User,
)
from .models_tokens import PERSONAL_SCOPES, TokenScope


@admin.register(User)
class ITSMUserAdmin(UserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_superuser", "is_active"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "email"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members", "dispatchers"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "default_group", "calendar", "operating_hours", "is_active"]
    list_filter = ["is_active", "default_group"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["owner"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EntryInline(ReadOnlyInline):
    model = ConversationEntry
    fields = readonly_fields = ("created_at", "author", "visibility", "channel", "body")


class AuditInline(ReadOnlyInline):
    model = AuditEvent
    fields = readonly_fields = ("created_at", "actor", "channel", "action", "field", "old_value", "new_value")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-mostly: changes go through the ticket services (API and pages) so they are audited."""

    list_display = ["id", "title", "classification", "status", "priority", "group", "assignee", "resolve_by",
                    "resolve_breached"]
    list_filter = ["status", "classification", "priority", "sla_clock", "respond_breached", "resolve_breached",
                   "source", "group", "service"]
    search_fields = ["id", "title", "description", "requester__email", "requester__username"]
    date_hierarchy = "created_at"
    list_select_related = ["group", "assignee"]
    inlines = [EntryInline, AuditInline]
    readonly_fields = [f.name for f in Ticket._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConversationEntry)
class ConversationEntryAdmin(admin.ModelAdmin):
    list_display = ["ticket", "author", "visibility", "channel", "created_at"]
    list_filter = ["visibility", "channel"]
    search_fields = ["body", "ticket__title"]
    readonly_fields = ["ticket", "author", "visibility", "body", "channel", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "ticket", "content_type", "size", "visibility", "created_at"]
    list_filter = ["content_type", "visibility"]
    search_fields = ["original_name", "ticket__title"]
    readonly_fields = ["ticket", "entry", "file", "original_name", "content_type", "size", "uploaded_by",
                       "visibility", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail can be read and searched, never edited or deleted."""

    list_display = ["created_at", "ticket", "action", "field", "old_value", "new_value", "actor", "channel"]
    list_filter = ["action", "channel", "field"]
    search_fields = ["ticket__id", "ticket__title", "old_value", "new_value"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ApiTokenAddForm(forms.ModelForm):
    """A new personal token, full or read-only; integration tokens are issued with their integration (and
    rotated there), so the admin never offers that scope."""

    scope = forms.ChoiceField(
        choices=[(scope.value, scope.label) for scope in PERSONAL_SCOPES], initial=TokenScope.PERSONAL,
        widget=forms.RadioSelect,
        help_text="Read-only: the token may GET, HEAD and OPTIONS only; every write is refused with a 403.",
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scope", "expires_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Issue a token (its key is shown once, on the page after saving) and revoke it. A token's user and scope
    are fixed once issued: to change them, issue another and revoke this one."""

    list_display = ["name", "user", "scope", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    autocomplete_fields = ["user"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["user", "name", "scope", "expires_at"] + (self.readonly_fields if obj else [])

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "user", "scope"] if obj else []

    def save_model(self, request, obj, form, change):
        if not change:
            key = obj.assign_key()
            self.message_user(
                request, f"The key of “{obj.name}” is {key} — copy it now: it is stored only as a digest "
                "and cannot be shown again.", messages.WARNING,
            )
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead, so the record of who had access stays

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)
