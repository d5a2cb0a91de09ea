"""A faster ``to_representation`` for serializers that read many plain model rows.

DRF resolves every field of every row through ``get_attribute`` (dotted sources, callables,
``PKOnlyObject`` for relations) and ``_readable_fields``; on a 50-row ticket page that machinery
cost more than the SQL. ``PlannedRepresentation`` works out once per serializer instance how each
field is read (a plain attribute, a foreign key's id column, a method) and reuses that plan for
every row. Fields it cannot plan (dotted or ``*`` sources) go through DRF's own path, and
tests/tickets/test_api_representation.py holds the output equal to DRF's for every kind of ticket.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PrimaryKeyRelatedField

Reader = Callable[[Any], Any]
_SKIP = object()  # a field DRF leaves out of this row (its get_attribute raised SkipField)


class PlannedRepresentation(serializers.Serializer):
    def to_representation(self, instance) -> dict:
        data = {}
        for name, read in self._plan:
            value = read(instance)
            if value is not _SKIP:
                data[name] = value
        return data

    @cached_property
    def _plan(self) -> list[tuple[str, Reader]]:
        return [(name, _reader(field)) for field in self._readable_fields if (name := field.field_name) is not None]


def _reader(field: serializers.Field) -> Reader:
    if isinstance(field, serializers.SerializerMethodField):
        return getattr(field.parent, field.method_name)
    if field.source == "*" or len(field.source_attrs) != 1:
        return _drf_reader(field)
    name = field.source_attrs[0]
    if isinstance(field, PrimaryKeyRelatedField) and field.pk_field is None:
        column = f"{name}_id"  # the id is on the row: no related object is loaded
        return lambda instance: getattr(instance, column)
    convert = field.to_representation

    def read(instance):
        value = getattr(instance, name)
        return None if value is None else convert(value)

    return read


def _drf_reader(field: serializers.Field) -> Reader:
    def read(instance):
        try:
            attribute = field.get_attribute(instance)
        except SkipField:
            return _SKIP
        return None if attribute is None else field.to_representation(attribute)

    return read
