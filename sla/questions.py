"""The impact and urgency questions asked in plain words, and how each answer maps onto the matrix.

The portal and the service desk ask "Who is affected?" and "Can you still work?" instead of the
matrix's terms; the answers map to an impact level and an urgency here, and only here. Staff can
adjust the result in triage. "I'm not sure" is a real answer: it maps to the narrowest reading, and
the technician who picks the ticket up asks.
"""

from django.db import models

from .matrix import Impact, Urgency


class WhoIsAffected(models.TextChoices):
    ONLY_ME = "only_me", "Only me"
    SEVERAL_PEOPLE = "several_people", "Several people (my team or a class)"
    DEPARTMENT_OR_BUILDING = "department_or_building", "A whole department or building"
    SEVERAL_DEPARTMENTS = "several_departments", "Several departments or buildings"
    EVERYONE = "everyone", "Everyone at the university"
    NOT_SURE = "not_sure", "I'm not sure"


class CanYouWork(models.TextChoices):
    CANNOT_WORK = "cannot_work", "No, I can't work or teach"
    WORKAROUND = "workaround", "Only by working around it (another computer, room or way)"
    SLOWLY = "slowly", "Yes, but slowly or with difficulty"
    INCONVENIENCE = "inconvenience", "Yes, it's an inconvenience"
    NOT_SURE = "not_sure", "I'm not sure"


IMPACT_FOR: dict[WhoIsAffected, Impact] = {
    WhoIsAffected.ONLY_ME: Impact.INDIVIDUAL,
    WhoIsAffected.SEVERAL_PEOPLE: Impact.DEPARTMENT,
    WhoIsAffected.DEPARTMENT_OR_BUILDING: Impact.BUILDING,
    WhoIsAffected.SEVERAL_DEPARTMENTS: Impact.MULTIPLE_DEPARTMENTS,
    WhoIsAffected.EVERYONE: Impact.UNIVERSITY,
    WhoIsAffected.NOT_SURE: Impact.INDIVIDUAL,
}

URGENCY_FOR: dict[CanYouWork, Urgency] = {
    CanYouWork.CANNOT_WORK: Urgency.STOPPED_NO_WORKAROUND,
    CanYouWork.WORKAROUND: Urgency.STOPPED_WORKAROUND,
    CanYouWork.SLOWLY: Urgency.IMPAIRED,
    CanYouWork.INCONVENIENCE: Urgency.NOT_IMPAIRED,
    CanYouWork.NOT_SURE: Urgency.IMPAIRED,
}


def impact_and_urgency(who: str, work: str) -> tuple[Impact, Urgency]:
    """The matrix inputs for the two plain answers; unknown answers raise ``ValueError``."""
    return IMPACT_FOR[WhoIsAffected(who)], URGENCY_FOR[CanYouWork(work)]
