from datetime import timedelta

import pytest

from sla.matrix import Impact, Urgency, cell_for

# Appendix A, row by row: urgency → priorities for Critical, Major, Minor, Small.
APPENDIX_A = {
    "stopped_no_workaround": ["emergency", "high", "high", "standard"],
    "stopped_workaround": ["high", "high", "standard", "scheduled"],
    "impaired": ["high", "standard", "standard", "scheduled"],
    "not_impaired": ["standard", "scheduled", "scheduled", "scheduled"],
}
ONE_IMPACT_PER_CATEGORY = ["university", "multiple_buildings", "department", "individual"]


@pytest.mark.parametrize("urgency", list(APPENDIX_A))
def test_priority_for_every_cell(urgency):
    got = [cell_for(impact, urgency).priority for impact in ONE_IMPACT_PER_CATEGORY]
    assert got == APPENDIX_A[urgency]


def test_impact_levels_group_into_categories():
    assert {i.value: cell_for(i, "impaired").impact_category.value for i in Impact} == {
        "university": "critical", "multiple_departments": "major", "multiple_buildings": "major",
        "department": "minor", "building": "minor", "individual": "small", "its_operations": "small",
    }


def test_targets_and_clocks():
    assert [(c.clock, c.respond, c.resolve) for c in (
        cell_for("university", "stopped_no_workaround"), cell_for("department", "stopped_no_workaround"),
        cell_for("department", "impaired"), cell_for("individual", "impaired"),
    )] == [
        ("24x7", timedelta(minutes=15), timedelta(hours=4)),
        ("24x7", timedelta(hours=1), timedelta(hours=8)),
        ("business_hours", timedelta(hours=8), timedelta(hours=16)),
        ("business_hours", timedelta(hours=8), timedelta(hours=32)),
    ]


def test_cells_that_call_for_outage_or_problem_management():
    processes = {(i, u): cell_for(i, u).process for i in ONE_IMPACT_PER_CATEGORY for u in Urgency}
    flagged = {key: value for key, value in processes.items() if value}
    assert flagged == {
        ("university", "stopped_no_workaround"): "outage",
        ("university", "stopped_workaround"): "problem",
        ("multiple_buildings", "stopped_workaround"): "problem",
    }


def test_outside_operating_hours_is_small():
    cell = cell_for("university", "stopped_no_workaround", outside_operating_hours=True)
    assert (cell.impact_category, cell.priority) == ("small", "standard")


def test_unknown_values_are_refused():
    with pytest.raises(ValueError):
        cell_for("galaxy", "impaired")
    with pytest.raises(ValueError):
        cell_for("individual", "someday")
