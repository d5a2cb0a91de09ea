"""Appendix A of the Incident Management Process: the ticket priority matrix, as data.

This is the only place in the code that knows which impact levels form which impact category,
which priority each (urgency, impact category) cell gives, and each priority's clock and targets.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import models


class Impact(models.TextChoices):
    """How many people the incident affects (7 levels, widest first)."""

    UNIVERSITY = "university", "Entire University"
    MULTIPLE_DEPARTMENTS = "multiple_departments", "Multiple departments"
    MULTIPLE_BUILDINGS = "multiple_buildings", "Multiple buildings"
    DEPARTMENT = "department", "Single department"
    BUILDING = "building", "Single building"
    INDIVIDUAL = "individual", "Single individual"
    ITS_OPERATIONS = "its_operations", "Only ITS Service Operations"


class Urgency(models.TextChoices):
    """How the customer's work is affected (4 levels, most urgent first)."""

    STOPPED_NO_WORKAROUND = "stopped_no_workaround", "Work stopped – no workaround"
    STOPPED_WORKAROUND = "stopped_workaround", "Work stopped – workaround available"
    IMPAIRED = "impaired", "Work impaired"
    NOT_IMPAIRED = "not_impaired", "Work not impaired"


class ImpactCategory(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    SMALL = "small", "Small"


class Priority(models.TextChoices):
    EMERGENCY = "emergency", "Emergency"
    HIGH = "high", "High"
    STANDARD = "standard", "Standard"
    SCHEDULED = "scheduled", "Scheduled"


class Clock(models.TextChoices):
    TWENTY_FOUR_SEVEN = "24x7", "24x7"
    BUSINESS_HOURS = "business_hours", "Business hours"


class ManagementProcess(models.TextChoices):
    """The process a matrix cell tells triage to invoke."""

    NONE = "", "None"
    OUTAGE = "outage", "Outage management"
    PROBLEM = "problem", "Problem management"


class SmallReason(models.TextChoices):
    """Why a ticket's impact category is Small although its impact level is wider."""

    NONE = "", "None"
    OUTSIDE_OPERATING_HOURS = "outside_operating_hours", "Reported outside the service's operating hours"


@dataclass(frozen=True)
class Target:
    clock: Clock
    respond: timedelta
    resolve: timedelta


@dataclass(frozen=True)
class Cell:
    impact_category: ImpactCategory
    priority: Priority
    clock: Clock
    respond: timedelta
    resolve: timedelta
    process: ManagementProcess


IMPACT_CATEGORY: dict[Impact, ImpactCategory] = {
    Impact.UNIVERSITY: ImpactCategory.CRITICAL,
    Impact.MULTIPLE_DEPARTMENTS: ImpactCategory.MAJOR,
    Impact.MULTIPLE_BUILDINGS: ImpactCategory.MAJOR,
    Impact.DEPARTMENT: ImpactCategory.MINOR,
    Impact.BUILDING: ImpactCategory.MINOR,
    Impact.INDIVIDUAL: ImpactCategory.SMALL,
    Impact.ITS_OPERATIONS: ImpactCategory.SMALL,
}

_E, _H, _S, _D = Priority.EMERGENCY, Priority.HIGH, Priority.STANDARD, Priority.SCHEDULED
_C, _MA, _MI, _SM = (ImpactCategory.CRITICAL, ImpactCategory.MAJOR, ImpactCategory.MINOR, ImpactCategory.SMALL)

PRIORITY: dict[tuple[Urgency, ImpactCategory], Priority] = {
    (Urgency.STOPPED_NO_WORKAROUND, _C): _E,
    (Urgency.STOPPED_NO_WORKAROUND, _MA): _H,
    (Urgency.STOPPED_NO_WORKAROUND, _MI): _H,
    (Urgency.STOPPED_NO_WORKAROUND, _SM): _S,
    (Urgency.STOPPED_WORKAROUND, _C): _H,
    (Urgency.STOPPED_WORKAROUND, _MA): _H,
    (Urgency.STOPPED_WORKAROUND, _MI): _S,
    (Urgency.STOPPED_WORKAROUND, _SM): _D,
    (Urgency.IMPAIRED, _C): _H,
    (Urgency.IMPAIRED, _MA): _S,
    (Urgency.IMPAIRED, _MI): _S,
    (Urgency.IMPAIRED, _SM): _D,
    (Urgency.NOT_IMPAIRED, _C): _S,
    (Urgency.NOT_IMPAIRED, _MA): _D,
    (Urgency.NOT_IMPAIRED, _MI): _D,
    (Urgency.NOT_IMPAIRED, _SM): _D,
}

PROCESS: dict[tuple[Urgency, ImpactCategory], ManagementProcess] = {
    (Urgency.STOPPED_NO_WORKAROUND, _C): ManagementProcess.OUTAGE,
    (Urgency.STOPPED_WORKAROUND, _C): ManagementProcess.PROBLEM,
    (Urgency.STOPPED_WORKAROUND, _MA): ManagementProcess.PROBLEM,
}

TARGETS: dict[Priority, Target] = {
    Priority.EMERGENCY: Target(Clock.TWENTY_FOUR_SEVEN, timedelta(minutes=15), timedelta(hours=4)),
    Priority.HIGH: Target(Clock.TWENTY_FOUR_SEVEN, timedelta(hours=1), timedelta(hours=8)),
    Priority.STANDARD: Target(Clock.BUSINESS_HOURS, timedelta(hours=8), timedelta(hours=16)),
    Priority.SCHEDULED: Target(Clock.BUSINESS_HOURS, timedelta(hours=8), timedelta(hours=32)),
}

# Most urgent first, for ordering queues by priority.
PRIORITY_RANK: dict[Priority, int] = {p: i for i, p in enumerate(Priority)}


def impact_category_for(impact: str, *, outside_operating_hours: bool = False) -> ImpactCategory:
    """Appendix A puts "outside of the service's operating hours" in the Small column."""
    if outside_operating_hours:
        return ImpactCategory.SMALL
    return IMPACT_CATEGORY[Impact(impact)]


def cell_for(impact: str, urgency: str, *, outside_operating_hours: bool = False) -> Cell:
    """The matrix cell for an impact level and urgency; unknown values raise ``ValueError``."""
    category = impact_category_for(impact, outside_operating_hours=outside_operating_hours)
    key = (Urgency(urgency), category)
    priority = PRIORITY[key]
    target = TARGETS[priority]
    return Cell(
        impact_category=category,
        priority=priority,
        clock=target.clock,
        respond=target.respond,
        resolve=target.resolve,
        process=PROCESS.get(key, ManagementProcess.NONE),
    )
