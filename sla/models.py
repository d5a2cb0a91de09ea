"""Business calendars: the hours a business-hours SLA clock runs, and the holidays it skips."""

import zoneinfo
from datetime import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


def _validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known IANA time zone (for example America/New_York).")


class Calendar(models.Model):
    """Weekly working hours in one time zone, plus holidays.

    Exactly one calendar is the default: services without a calendar of their own use it.
    """

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[_validate_time_zone])
    is_default = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_calendar"),
        ]

    def __str__(self) -> str:
        return self.name


class _TouchesCalendar(models.Model):
    """Saving or deleting a row marks its calendar changed, so processes reload it (sla.calendars).

    Changes that bypass ``save`` and ``delete`` (``bulk_create``, ``QuerySet.update``) must touch
    the calendar themselves: ``Calendar.objects.filter(pk=...).update(updated_at=now())``.
    """

    calendar_id: int  # the subclass's ``calendar`` foreign key

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        _touch(self.calendar_id)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        calendar_id = self.calendar_id
        deleted = super().delete(*args, **kwargs)
        _touch(calendar_id)
        return deleted


def _touch(calendar_id: int | None) -> None:
    if calendar_id is not None:
        Calendar.objects.filter(pk=calendar_id).update(updated_at=timezone.now())


class WorkingHours(_TouchesCalendar):
    """One working interval [opens, closes) on one weekday, in the calendar's local time."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField(default=time(8))
    closes = models.TimeField(default=time(17))

    class Meta:
        ordering = ["calendar", "weekday", "opens"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(opens__lt=models.F("closes")), name="working_hours_opens_before_closes"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens is not None and self.closes is not None and self.opens >= self.closes:
            raise ValidationError({"closes": "Closing time must be after opening time."})
        if self.calendar_id is None or self.opens is None or self.closes is None:
            return
        overlapping = WorkingHours.objects.filter(
            calendar_id=self.calendar_id, weekday=self.weekday, opens__lt=self.closes, closes__gt=self.opens
        ).exclude(pk=self.pk)
        if overlapping.exists():
            raise ValidationError("These hours overlap other working hours on the same day.")


class Holiday(_TouchesCalendar):
    """A whole local date on which the calendar has no working time."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_holiday_per_calendar_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"
