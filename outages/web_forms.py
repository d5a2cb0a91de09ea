"""The outage console's forms: what each step asks for, in the words people read on the page.

Forms only collect and check input; the step itself (and its own rules) stays in ``outages.services``,
``outages.changes`` and ``outages.reviews``; ``itsm.page_errors`` puts a service's refusal back on the form
so it is shown in place, like any other validation message.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from .models import Audience, ChangeRequest
from .reviews import SECTIONS
from .services import MAX_CHILDREN_PER_CALL, UpdateStatus

# The next-update choices offered beside the plan's own cadence (NC State: hourly is the baseline).
NEXT_UPDATE_CHOICES = [(15, "In 15 minutes"), (30, "In 30 minutes"), (60, "In 1 hour"), (120, "In 2 hours"),
                       (240, "In 4 hours"), (480, "In 8 hours"), (1440, "Tomorrow, same time")]
CADENCE_CHOICES = [(15, "Every 15 minutes"), (30, "Every 30 minutes"), (60, "Every hour"),
                   (120, "Every 2 hours"), (240, "Every 4 hours"), (1440, "Once a day")]


def audience_choices(reach: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Each audience labelled with how many it reaches now, e.g. "ITS Alerts list (1 list address)"."""
    return [(value, f"{label} ({reach_words(value, reach.get(value, []))})")
            for value, label in Audience.choices]


def reach_words(audience: str, addresses: list[str]) -> str:
    count = len(addresses)
    if audience == Audience.TICKET:
        return f"{count} {'person' if count == 1 else 'people'}"
    return f"{count} list address" if count == 1 else f"{count} addresses"


def _with_cadence(choices: list[tuple[int, str]], minutes: int | None, template: str) -> list[tuple[int, str]]:
    if minutes and minutes not in dict(choices):
        choices = sorted([*choices, (minutes, template.format(minutes=minutes))])
    return choices


class PlanForm(forms.Form):
    audiences = forms.MultipleChoiceField(
        label="Who hears about it", widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one audience for the plan"})
    cadence_minutes = forms.TypedChoiceField(
        label="How often updates go out", coerce=int, choices=CADENCE_CHOICES,
        help_text="Update on schedule even when there is no news.",
        error_messages={"required": "Choose how often updates go out"})

    def __init__(self, *args, reach: dict[str, list[str]], cadence: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audiences"].choices = audience_choices(reach)
        self.fields["cadence_minutes"].choices = _with_cadence(CADENCE_CHOICES, cadence, "Every {minutes} minutes")


class UpdateForm(forms.Form):
    status = forms.ChoiceField(
        label="Where things stand", choices=UpdateStatus.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose where things stand: investigating, identified or monitoring"})
    text = forms.CharField(
        label="What people need to know", widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Plain words: what is affected, what we are doing, what people can do meanwhile. "
                  "No ETA unless it is reliable.",
        error_messages={"required": "Write what people need to know"})
    next_update_minutes = forms.TypedChoiceField(
        label="Next update by", coerce=int, choices=NEXT_UPDATE_CHOICES,
        help_text="The message says when the next one will come, and the countdown restarts from it.",
        error_messages={"required": "Say when the next update will come"})
    audiences = forms.MultipleChoiceField(
        label="Send to", widget=forms.CheckboxSelectMultiple,
        help_text="Messages to the whole community wait for approval by Communications.",
        error_messages={"required": "Choose at least one audience"})

    def __init__(self, *args, reach: dict[str, list[str]], cadence: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audiences"].choices = audience_choices(reach)
        self.fields["next_update_minutes"].choices = _with_cadence(
            NEXT_UPDATE_CHOICES, cadence, "In {minutes} minutes (the plan's cadence)")


class ChildrenForm(forms.Form):
    tickets = forms.CharField(
        label="Ticket numbers to link", help_text="Separate them with spaces or commas, e.g. 1204, #1210 1311.",
        error_messages={"required": "Enter the ticket numbers to link"})

    def clean_tickets(self) -> list[int]:
        raw = self.cleaned_data["tickets"]
        words = [word for word in re.split(r"[\s,;]+", raw) if word]
        bad = [word for word in words if not re.fullmatch(r"#?\d{1,9}", word)]
        if bad:
            raise ValidationError(f"Ticket numbers are digits, like 1204 or #1204 (not {', '.join(bad[:3])})")
        numbers = sorted({int(word.lstrip("#")) for word in words})
        if len(numbers) > MAX_CHILDREN_PER_CALL:
            raise ValidationError(f"Link up to {MAX_CHILDREN_PER_CALL} tickets at a time")
        return numbers


class WorkaroundForm(forms.Form):
    text = forms.CharField(label="The workaround", widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Sent at once to every affected person and the plan's lists.",
                           error_messages={"required": "Describe the workaround"})


class ResolveForm(forms.Form):
    all_clear = forms.CharField(
        label="All-clear message", widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What caused it and how it was fixed, in plain words. It is the last message people get.",
        error_messages={"required": "Write the all-clear: what caused it and how it was fixed"})


class PermanentFixForm(forms.Form):
    text = forms.CharField(label="The permanent fix", widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": "Describe the permanent fix"})


class ChangeForm(forms.Form):
    title = forms.CharField(label="What will change", max_length=200,
                            error_messages={"required": "Say what will change"})
    reason = forms.CharField(label="Why it is needed", widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "Say why the change is needed"})
    implementation_plan = forms.CharField(label="How it will be done", widget=forms.Textarea(attrs={"rows": 2}),
                                          error_messages={"required": "Describe how it will be done"})
    backout_plan = forms.CharField(label="How to undo it", widget=forms.Textarea(attrs={"rows": 2}),
                                   error_messages={"required": "Describe how to undo it if it goes wrong"})
    risk = forms.ChoiceField(label="Risk", choices=ChangeRequest.Risk.choices, widget=forms.RadioSelect,
                             error_messages={"required": "Choose the risk"})


class ReviewForm(forms.Form):
    """Every section optional while drafting; the review service insists on all of them at submission."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, heading in SECTIONS.items():
            self.fields[name] = forms.CharField(label=heading, required=False,
                                                widget=forms.Textarea(attrs={"rows": 3}))

