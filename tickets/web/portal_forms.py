"""The portal's questions, in plain words (UX §6): a GOV.UK question page per form.

Messages are specific and the same words appear in the error summary and next to the field.
"""

from django import forms
from django.core.exceptions import ValidationError

from sla.questions import CanYouWork, WhoIsAffected, impact_and_urgency

from ..attachments import MAX_FILES_PER_UPLOAD, validate_upload
from ..models import Service

OTHER_SERVICE = "other"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked the way an attachment is checked when stored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_FILES_PER_UPLOAD:
            raise ValidationError(f"Choose up to {MAX_FILES_PER_UPLOAD} files at a time")
        for uploaded in files:
            super().clean(uploaded, initial)
            try:
                validate_upload(uploaded)
            except ValidationError as error:
                raise ValidationError(error.message_dict.get("file", error.messages)) from None
        return files


def service_choices() -> list[tuple[str, str]]:
    services = Service.objects.filter(is_active=True).order_by("name").values_list("pk", "name")
    return [("", "Choose one"), *((str(pk), name) for pk, name in services),
            (OTHER_SERVICE, "Something else / I'm not sure")]


# The form fields a service's field errors belong to, where the names differ: the plain questions stand for
# impact and urgency, and uploads come in as "files".
SERVICE_FIELDS = {"impact": "who", "urgency": "work", "file": "files"}


class QuestionsMixin(forms.Form):
    """'Who is affected?' and 'Can you still work?', mapped onto impact and urgency in sla.questions."""

    who = forms.ChoiceField(
        label="Who is affected?", choices=WhoIsAffected.choices, widget=forms.RadioSelect,
        error_messages={"required": "Tell us who is affected", "invalid_choice": "Tell us who is affected"},
    )
    work = forms.ChoiceField(
        label="Can you still work?", choices=CanYouWork.choices, widget=forms.RadioSelect,
        error_messages={"required": "Tell us whether you can still work",
                        "invalid_choice": "Tell us whether you can still work"},
    )

    def impact_and_urgency(self) -> tuple[str, str]:
        impact, urgency = impact_and_urgency(self.cleaned_data["who"], self.cleaned_data["work"])
        return impact.value, urgency.value


class ReportForm(QuestionsMixin):
    """Report a problem, or (``kind="request"``) ask for something: the same questions, other words."""

    service = forms.ChoiceField(
        label="What are you having a problem with?",
        error_messages={"required": "Tell us what you're having a problem with",
                        "invalid_choice": "Tell us what you're having a problem with"},
    )
    description = forms.CharField(
        label="Tell us what happened.", widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What you were doing, what you saw, and any error message word for word.",
        error_messages={"required": "Tell us what happened"},
    )
    title = forms.CharField(
        label="What's the problem, in a few words?", max_length=200,
        help_text="For example: “Can't print in the Library”.",
        error_messages={"required": "Tell us the problem in a few words",
                        "max_length": "Keep it to 200 characters or fewer — the details go above"},
    )
    files = MultipleFileField(
        label="Screenshots or files", help_text="Pictures, PDFs or documents, up to 10 at a time.",
    )

    field_order = ["service", "description", "title", "who", "work", "files"]

    def __init__(self, *args, kind: str = "problem", **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["service"].choices = service_choices()
        if kind == "request":
            self.fields["service"].label = "What is it about?"
            self.fields["service"].error_messages.update(
                required="Tell us what it's about", invalid_choice="Tell us what it's about")
            self.fields["description"].label = "Tell us what you need."
            self.fields["description"].help_text = "What you'd like us to do, and by when if there's a date."
            self.fields["description"].error_messages["required"] = "Tell us what you need"
            self.fields["title"].label = "What do you need, in a few words?"
            self.fields["title"].help_text = "For example: “Access to the research drive”."
            self.fields["title"].error_messages["required"] = "Tell us what you need in a few words"
            if not self.is_bound:
                self.initial.setdefault("who", WhoIsAffected.ONLY_ME)
                self.initial.setdefault("work", CanYouWork.INCONVENIENCE)

    def service_pk(self) -> int | None:
        value = self.cleaned_data.get("service") if hasattr(self, "cleaned_data") else self.data.get("service")
        return int(value) if value and str(value).isdigit() else None

    def chosen_service(self) -> Service | None:
        pk = self.service_pk()
        return Service.objects.filter(pk=pk, is_active=True).first() if pk else None


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply", widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write your reply before sending it"},
    )
    files = MultipleFileField(label="Add files")


class StillBrokenForm(forms.Form):
    note = forms.CharField(
        label="What is still happening?", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A sentence or two helps the technician pick it up where they left off.",
        error_messages={"required": "Tell us what is still happening"},
    )
