from typing import Any

from rest_framework import serializers
from rest_framework.validators import UniqueTogetherValidator

from itsm.api_fields import StrictCharField

from ..models import Calendar, Holiday


class HolidaySerializer(serializers.ModelSerializer[Holiday]):
    calendar = serializers.SlugRelatedField(
        slug_field="slug", queryset=Calendar.objects.all(), required=False,
        help_text="The calendar's slug; the default calendar when omitted.",
    )
    name = StrictCharField(max_length=100)

    class Meta:
        model = Holiday
        fields = ["id", "calendar", "date", "name"]
        validators = [
            UniqueTogetherValidator(
                queryset=Holiday.objects.all(), fields=["calendar", "date"],
                message="This calendar already has a holiday on that date.",
            )
        ]

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "copy"):
            data = data.copy()
        if isinstance(data, dict) and not data.get("calendar"):
            default = Calendar.objects.filter(is_default=True).first()
            if default is not None:
                data["calendar"] = default.slug
        return super().to_internal_value(data)
