"""The import contracts of `make lint` (pyproject.toml [tool.importlinter]) fail on an upward import.

``lint-imports`` runs on copies of the project's packages (or on a small tree of their shape) in a
temporary folder, so the checks do not depend on what the other rooms look like today.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
SLA_CONTRACT = "sla imports nothing of tickets or outages (nor the root URLs, which import every app)"
CORE_CONTRACT = ("tickets core imports nothing of outages or intake, and of notifications only its services and "
                 "selectors")


def lint_imports(tree: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    selection = [argument for contract in contracts for argument in ("--contract", contract)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", *selection], cwd=tree, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "250"}, timeout=60, check=False,
    )


def copy_project(tmp_path: Path) -> Path:
    """The four root packages (their Python files) and pyproject.toml."""
    def not_python(folder: str, names: list[str]) -> list[str]:
        return [name for name in names
                if name == "__pycache__" or not (name.endswith(".py") or (Path(folder) / name).is_dir())]

    for package in ("itsm", "sla", "tickets", "outages"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=not_python)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def append(path: Path, line: str) -> int:
    """Add ``line`` at the end of ``path``; returns its line number."""
    text = path.read_text()
    path.write_text(text + ("" if text.endswith("\n") else "\n") + line + "\n")
    return len(path.read_text().splitlines())


def test_an_upward_import_from_sla_or_from_tickets_core_breaks_its_contract(tmp_path):
    tree = copy_project(tmp_path)
    sla_line = append(tree / "sla" / "services.py", "from tickets import services")
    core_line = append(tree / "tickets" / "selectors.py", "from outages import models")

    result = lint_imports(tree, "sla", "tickets-core")

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{SLA_CONTRACT} BROKEN" in result.stdout
    assert "sla is not allowed to import tickets:" in result.stdout
    assert f"-   sla.services -> tickets.services (l.{sla_line})" in result.stdout
    assert f"{CORE_CONTRACT} BROKEN" in result.stdout
    assert "tickets.selectors is not allowed to import outages.models:" in result.stdout
    assert f"tickets.selectors -> outages.models (l.{core_line})" in result.stdout


def test_the_sla_room_as_it_is_keeps_its_contract(tmp_path):
    result = lint_imports(copy_project(tmp_path), "sla")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{SLA_CONTRACT} KEPT" in result.stdout
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_a_contract_naming_a_room_that_does_not_exist_is_broken_not_kept(tmp_path):
    tree = copy_project(tmp_path)
    shutil.rmtree(tree / "tickets" / "notifications", ignore_errors=True)

    result = lint_imports(tree, "notifications")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "tickets.notifications imports nothing of tickets core, intake or outages BROKEN" in result.stdout
    assert "tickets.notifications is named by this contract but does not exist." in result.stdout


# A small tree of the map's shape, to check the two contract types of itsm/import_contracts.py.
SHAPE = {
    "itsm/__init__.py": "",
    "itsm/helpers.py": "",
    "sla/__init__.py": "",
    "sla/rules.py": "",
    "tickets/__init__.py": "",
    "tickets/services.py": "from tickets.notifications import services\nfrom sla import rules\n",
    "tickets/intake/__init__.py": "",
    "tickets/intake/mail.py": "from tickets import services\n",
    "tickets/notifications/__init__.py": "",
    "tickets/notifications/services.py": "from tickets.notifications import models\n",
    "tickets/notifications/models.py": "",
    "outages/__init__.py": "",
    "outages/services.py": "from tickets import services\nfrom tickets.intake import mail\n",
}
CONTRACTS = """
[tool.importlinter]
root_packages = ["itsm", "sla", "tickets", "outages"]
contract_types = [
    "room: itsm.import_contracts.RoomContract",
    "acyclic_rooms: itsm.import_contracts.AcyclicRoomsContract",
]

[[tool.importlinter.contracts]]
id = "tickets-core"
name = "core"
type = "room"
room = ["tickets"]
except_rooms = ["tickets.intake", "tickets.notifications"]
forbidden = ["outages", "tickets.intake", "tickets.notifications"]
entry_points = ["tickets.notifications.services", "tickets.notifications.selectors"]

[[tool.importlinter.contracts]]
id = "notifications"
name = "notifications"
type = "room"
room = ["tickets.notifications"]
forbidden = ["tickets", "outages"]

[[tool.importlinter.contracts]]
id = "rooms-acyclic"
name = "acyclic"
type = "acyclic_rooms"
rooms = ["sla", "tickets", "tickets.intake", "tickets.notifications", "outages"]
"""


def shaped_tree(tmp_path: Path, changes: dict[str, str] | None = None) -> Path:
    """The small tree, with the lines of ``changes`` ({"tickets/pages.py": "from ..."}) appended."""
    files = dict(SHAPE)
    for path, text in (changes or {}).items():
        files[path] = files.get(path, "") + text
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    shutil.copy(ROOT / "itsm" / "import_contracts.py", tmp_path / "itsm" / "import_contracts.py")
    (tmp_path / "pyproject.toml").write_text(CONTRACTS)
    return tmp_path


def test_the_rooms_of_the_map_keep_every_contract(tmp_path):
    result = lint_imports(shaped_tree(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_core_may_reach_notifications_only_through_its_services_and_nothing_above_it_even_indirectly(tmp_path):
    tree = shaped_tree(tmp_path, {"tickets/selectors.py": "from tickets.notifications import models\n",
                                  "tickets/pages.py": "from itsm import helpers\n",
                                  "itsm/helpers.py": "from outages import services\n"})

    result = lint_imports(tree, "tickets-core")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "tickets.selectors is not allowed to import tickets.notifications.models:\n" \
           "    tickets.selectors -> tickets.notifications.models (l.1)\n" in result.stdout
    assert "tickets.pages is not allowed to import outages.services:\n" \
           "    tickets.pages -> itsm.helpers (l.1)\n" \
           "    itsm.helpers -> outages.services (l.1)\n" in result.stdout
    assert "tickets.services is not allowed" not in result.stdout  # through the entry point: allowed


def test_notifications_may_not_import_tickets_core_and_a_cycle_between_rooms_is_named(tmp_path):
    tree = shaped_tree(tmp_path, {"tickets/notifications/models.py": "from tickets import services\n"})

    result = lint_imports(tree)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "tickets.notifications.models is not allowed to import tickets.services:" in result.stdout
    assert "Import cycle between rooms: tickets -> tickets.notifications -> tickets" in result.stdout
    assert "Contracts: 1 kept, 2 broken." in result.stdout
