"""The queue board's forms: the filter bar (in the URL), the bulk action and re-triage."""

from django import forms

from sla.matrix import Impact, Priority, Urgency
from tickets import policies
from tickets.lifecycle import Status
from tickets.models import Group, Service, User

STATUS_CHOICES = [("open", "All open"), *((s.value, s.label) for s in Status)]


class BoardFilterForm(forms.Form):
    """Every filter is a query parameter, so a view can be bookmarked and shared."""

    q = forms.CharField(label="Search", required=False, help_text="Words from the title, a requester's e-mail or #ID",
                        widget=forms.TextInput(attrs={"type": "search", "data-search": "", "autocomplete": "off"}))
    status = forms.ChoiceField(label="Status", choices=STATUS_CHOICES, required=False)
    service = forms.ChoiceField(label="Service", required=False)
    assignee = forms.ChoiceField(label="Assignee", required=False)
    priority = forms.ChoiceField(label="Priority", choices=[("", "Any"), *Priority.choices], required=False)
    breached = forms.BooleanField(label="Breached only", required=False)
    due_soon = forms.BooleanField(label="Respond-By within 1 hour", required=False)

    FILTER_FIELDS = ("q", "status", "service", "assignee", "priority", "breached", "due_soon")

    def __init__(self, *args, group: Group, members: list[User], services: list[Service], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", "Any"), ("none", "No service")] + [
            (str(s.pk), s.name) for s in services]
        self.fields["assignee"].choices = [("", "Anyone"), ("unassigned", "Unassigned")] + [
            (str(m.pk), str(m)) for m in members]

    def filters(self) -> dict:
        """The cleaned filters, or none at all when the URL carries values we don't know."""
        return self.cleaned_data if self.is_valid() else {}


class BulkForm(forms.Form):
    """Assign the selected tickets to a member, or move them to another group."""

    ACTIONS = [("assign", "Assign"), ("move", "Move")]

    action = forms.ChoiceField(choices=ACTIONS)
    assignee = forms.ModelChoiceField(label="Assign to", queryset=User.objects.none(), required=False,
                                      empty_label="Choose a person")
    target_group = forms.ModelChoiceField(label="Move to group", queryset=Group.objects.none(), required=False,
                                          empty_label="Choose a group")

    def __init__(self, *args, group: Group, **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")  # the filter bar has an "assignee" field too
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = policies.assignable_staff().filter(support_groups=group).order_by(
            "first_name", "last_name", "username")
        self.fields["target_group"].queryset = Group.objects.exclude(pk=group.pk)

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and not data.get("assignee"):
            self.add_error("assignee", "Choose who to assign the tickets to")
        if data.get("action") == "move" and not data.get("target_group"):
            self.add_error("target_group", "Choose the group to move the tickets to")
        return data

    def changes(self) -> dict:
        if self.cleaned_data["action"] == "assign":
            return {"assignee": self.cleaned_data["assignee"]}
        return {"group": self.cleaned_data["target_group"]}


class TriageForm(forms.Form):
    """Impact and urgency: the two inputs of the priority matrix; the SLA follows from them."""

    impact = forms.ChoiceField(label="Impact", choices=Impact.choices, help_text="How many people are affected")
    urgency = forms.ChoiceField(label="Urgency", choices=Urgency.choices, help_text="How their work is affected")
    version = forms.IntegerField(widget=forms.HiddenInput)

    error_messages = {"impact": "Choose who is affected", "urgency": "Choose how their work is affected"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, message in self.error_messages.items():
            self.fields[name].error_messages = {"required": message, "invalid_choice": message}
