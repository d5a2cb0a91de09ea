"""The outage records in the admin: read mostly; the process itself runs through its services and pages."""

from django.contrib import admin

from .models import AfterActionReview, ChangeRequest, Outage, Update


class UpdateInline(admin.TabularInline):
    model = Update
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "kind", "posted_at", "posted_by", "audiences", "community_state", "next_update_at", "text",
    )

    def has_add_permission(self, request, obj=None):
        return False  # updates are sent through the process, which mails them


@admin.register(Outage)
class OutageAdmin(admin.ModelAdmin):
    list_display = ["ticket", "incident_manager", "cadence_minutes", "next_update_due_at", "all_clear_sent_at"]
    search_fields = ["ticket__title", "incident_manager__username"]
    list_select_related = ["ticket", "incident_manager"]
    raw_id_fields = ["ticket", "incident_manager"]
    filter_horizontal = ["responders"]
    readonly_fields = ["ticket", "next_update_due_at", "reminded_for", "workaround_published_at",
                       "all_clear_sent_at", "created_at"]
    inlines = [UpdateInline]

    def has_add_permission(self, request):
        return False  # raised through the process, so the ticket and its timeline come with it

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "outage", "risk", "emergency", "state", "requested_at"]
    list_filter = ["state", "risk", "emergency"]
    search_fields = ["title", "reason"]
    raw_id_fields = ["outage", "requested_by", "decided_by"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AfterActionReview)
class AfterActionReviewAdmin(admin.ModelAdmin):
    list_display = ["outage", "state", "author", "submitted_at", "published_at"]
    list_filter = ["state"]
    search_fields = ["root_cause", "initial_symptoms", "outage__ticket__title"]
    raw_id_fields = ["outage", "author", "published_by"]

    def has_delete_permission(self, request, obj=None):
        return False
