"""Serializer fields every app's API shares. Small and dependency-free: ``sla`` imports it too."""

from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A JSON string, and only that: DRF's CharField would also store ``{"title": 7}`` as "7"."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
