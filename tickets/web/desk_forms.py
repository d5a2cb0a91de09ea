"""The service desk's "log a call" form: who is calling, how, and the same plain questions."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q, QuerySet

from ..customers import customer_for_email
from ..models import Service, Source
from .portal_forms import QuestionsMixin

User = get_user_model()
DESK_SOURCES = [(Source.PHONE.value, "Phone"), (Source.CHAT.value, "Chat"),
                (Source.WALK_IN.value, "In person (walk-in)")]
MAX_MATCHES = 10


def find_customers(query: str) -> QuerySet:
    """People whose name, username or e-mail contains every word typed; at most ``MAX_MATCHES``."""
    words = (query or "").split()
    if not words or len("".join(words)) < 2:
        return User.objects.none()
    people = User.objects.filter(is_active=True)
    for word in words[:4]:
        people = people.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word)
                               | Q(email__icontains=word) | Q(username__icontains=word))
    return people.order_by("first_name", "last_name", "email")[:MAX_MATCHES]


def person_label(user) -> str:
    name = user.get_full_name() or user.username
    return f"{name} — {user.email}" if user.email else name


class DeskForm(QuestionsMixin):
    q = forms.CharField(label="Find the caller", required=False, help_text="Part of their name or e-mail address.")
    customer = forms.ChoiceField(label="Caller", required=False, widget=forms.RadioSelect)
    new_name = forms.CharField(label="New customer's full name", required=False, max_length=150)
    new_email = forms.CharField(label="New customer's e-mail address", required=False, max_length=254)
    source = forms.ChoiceField(
        label="How did they contact us?", choices=DESK_SOURCES, widget=forms.RadioSelect, initial=Source.PHONE,
        error_messages={"required": "Tell us how they contacted us", "invalid_choice": "Tell us how they contacted us"},
    )
    service = forms.ChoiceField(label="Which service is it about?", required=False)
    title = forms.CharField(label="Summary", max_length=200, help_text="A few words, as the caller would put it.",
                            error_messages={"required": "Write a short summary of the problem",
                                            "max_length": "Keep the summary to 200 characters or fewer"})
    description = forms.CharField(label="What's happening", required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text="What they were doing, what they saw, any error text.")

    field_order = ["q", "customer", "new_name", "new_email", "source", "who", "work", "service", "title",
                   "description"]

    def __init__(self, *args, link_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["work"].label = "Can they still work?"
        self.fields["work"].error_messages.update(required="Tell us whether they can still work",
                                                  invalid_choice="Tell us whether they can still work")
        services = Service.objects.filter(is_active=True).order_by("name").values_list("pk", "name")
        self.fields["service"].choices = [("", "Not sure yet"), *((str(pk), name) for pk, name in services)]
        source = self.data if self.is_bound else self.initial
        self.matches = list(find_customers(source.get("q", "")))
        chosen = str(source.get("customer") or "")
        if chosen.isdigit() and all(str(user.pk) != chosen for user in self.matches):
            self.matches = [*User.objects.filter(pk=int(chosen), is_active=True), *self.matches]
        self.fields["customer"].choices = [(str(user.pk), person_label(user)) for user in self.matches]
        if link_only:
            # Linking a caller to a known outage needs only the caller; the rest is the outage's.
            for name in ("source", "who", "work", "title"):
                self.fields[name].required = False

    def clean_new_email(self) -> str:
        address = self.cleaned_data["new_email"].strip()
        if address:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError("Enter an e-mail address like name@example.edu") from None
        return address

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("customer") and not cleaned.get("new_email") and "new_email" not in self.errors:
            self.add_error("q", "Choose the caller, or add them as a new customer with their e-mail address")
        return cleaned

    def caller(self):
        """The chosen person, or the customer for the new e-mail address (created if need be)."""
        if self.cleaned_data.get("customer"):
            return User.objects.get(pk=int(self.cleaned_data["customer"]))
        return customer_for_email(self.cleaned_data["new_email"], name=self.cleaned_data.get("new_name", ""))

    def chosen_service(self) -> Service | None:
        value = self.cleaned_data.get("service")
        return Service.objects.filter(pk=int(value)).first() if value and value.isdigit() else None

    def answered(self) -> tuple[str | None, str | None]:
        """Impact and urgency when both questions are answered (linking may leave them open)."""
        if self.cleaned_data.get("who") and self.cleaned_data.get("work"):
            return self.impact_and_urgency()
        return None, None
