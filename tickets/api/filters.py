import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from sla.matrix import Priority

from ..lifecycle import Status
from ..models import Classification, Ticket


class StrictBooleanField(forms.NullBooleanField):
    """``true`` or ``false`` (``1``/``0``); anything else is refused, not silently read as "no filter"."""

    widget = forms.TextInput  # the raw value, which NullBooleanSelect would turn into None

    def to_python(self, value):
        if value in (None, ""):
            return None
        spelled = str(value).strip().lower()
        if spelled in ("true", "1"):
            return True
        if spelled in ("false", "0"):
            return False
        raise ValidationError("Send true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class TicketFilter(django_filters.FilterSet):
    # distinct=False: these filter the ticket's own columns (no join can repeat a row), and SELECT DISTINCT
    # over every column made the 1M-ticket queue list sort and compare whole rows.
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False)
    classification = django_filters.ChoiceFilter(choices=Classification.choices)
    breached = StrictBooleanFilter(method="filter_breached", label="Respond or resolve target breached")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")

    class Meta:
        model = Ticket
        fields = ["status", "priority", "classification", "service", "group", "assignee", "requester", "parent"]

    def filter_breached(self, queryset, name, value):
        breached = Q(respond_breached=True) | Q(resolve_breached=True)
        return queryset.filter(breached) if value else queryset.exclude(breached)
