"""Forms of the staff ticket page. They only shape and check input; services do the writing.

Every form gets its own ``auto_id`` pattern so that several can share a page without clashing ids,
while the posted field names stay plain.
"""

from django import forms
from django.core.exceptions import ValidationError

from sla.matrix import Impact, Urgency
from tickets import policies
from tickets.attachments import MAX_FILES_PER_UPLOAD, validate_upload
from tickets.lifecycle import Status
from tickets.models import Group

REPLY, NOTE = "reply", "note"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; each is checked by the same rules as the API's uploads."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_FILES_PER_UPLOAD:
            raise ValidationError(f"Attach at most {MAX_FILES_PER_UPLOAD} files at a time.")
        messages = []
        for upload in files:
            try:
                validate_upload(upload)
            except ValidationError as error:
                messages.extend(error.message_dict.get("file", error.messages))
        if messages:
            raise ValidationError(messages)
        return files


class ComposerForm(forms.Form):
    """One composer for public replies and internal notes; ``seen`` powers the stale-send guard."""

    mode = forms.ChoiceField(
        label="Send as", choices=[(REPLY, "Public reply (the customer sees it)"),
                                  (NOTE, "Internal note (staff only)")],
        widget=forms.RadioSelect, initial=REPLY,
    )
    # Required in the label's sense (no "(optional)"): a send needs a message, unless it only attaches files.
    body = forms.CharField(
        label="Message", required=True, strip=True,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Ctrl+Enter sends. Drafts are kept in this browser until sent.",
    )
    files = MultipleFileField(label="Attach files", required=False)
    seen = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "composer_%s")
        super().__init__(*args, **kwargs)

    @property
    def internal(self) -> bool:
        return self.cleaned_data.get("mode") == NOTE

    def clean(self):
        data = super().clean()
        if "body" in self.errors:
            del self.errors["body"]
            data["body"] = ""
            if not data.get("files") and "files" not in self.errors:
                what = "note" if data.get("mode") == NOTE else "reply"
                self.add_error("body", f"Write your {what} before sending")
        return data


class _StatusStepForm(forms.Form):
    """A status move that needs words from the technician, checked against the version the page showed."""

    id_prefix = ""
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")  # two such forms share the page
        super().__init__(*args, **kwargs)


class ResolveForm(_StatusStepForm):
    id_prefix = "resolve"
    note = forms.CharField(
        label="What did you do to fix it?", strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent to the customer as a public reply, with a “fixed / still broken” question.",
        error_messages={"required": "Describe the fix for the customer before resolving"},
    )


class CancelForm(_StatusStepForm):
    id_prefix = "cancel"
    reason = forms.CharField(
        label="Why are you cancelling it?", strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept as an internal note, for example “Duplicate of #123” or “Spam”.",
        error_messages={"required": "Say why the ticket is being cancelled"},
    )


class TransitionForm(forms.Form):
    """The plain status buttons (no extra input): start work, wait, close."""

    to_status = forms.ChoiceField(choices=Status.choices)
    version = forms.IntegerField()


class AssignForm(forms.Form):
    group = forms.ModelChoiceField(queryset=Group.objects.all(), required=False, empty_label="No group",
                                   label="Group")
    assignee = forms.ModelChoiceField(
        queryset=policies.assignable_staff().order_by("first_name", "last_name", "username"),
        required=False, empty_label="Nobody", label="Assignee",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, groups=None, staff=None, **kwargs):
        kwargs.setdefault("auto_id", "assign_%s")
        super().__init__(*args, **kwargs)
        # The page already loaded these lists; reuse them instead of querying again while rendering.
        if groups is not None:
            self.fields["group"].choices = [("", "No group"), *((g.pk, str(g)) for g in groups)]
        if staff is not None:
            self.fields["assignee"].choices = [("", "Nobody"), *((u.pk, str(u)) for u in staff)]


class TriageForm(forms.Form):
    impact = forms.ChoiceField(label="Impact: who is affected", choices=Impact.choices)
    urgency = forms.ChoiceField(label="Urgency: how work is affected", choices=Urgency.choices)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "triage_%s")
        super().__init__(*args, **kwargs)
