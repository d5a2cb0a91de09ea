"""Import-linter contract types for the rooms of the map (``[tool.importlinter]`` in pyproject.toml).

The built-in types cannot say "tickets core", which is the ``tickets`` package less the rooms of
their own inside it (``tickets.intake``, ``tickets.notifications``), nor "only through its queueing
service". Two small types do:

- ``room``: every module of a room must not import the forbidden modules, directly or through
  modules outside the room, except the entry points named (directly);
- ``acyclic_rooms``: no cycle of direct imports between the rooms listed, each module belonging to
  the most specific room that contains it.

Every room and forbidden module a contract names must exist: a renamed or missing package breaks
the contract instead of letting it pass with nothing to check. An entry point may be missing (it
only ever allows less).
"""

import itertools
from collections import deque
from collections.abc import Iterable
from typing import Any

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output

Chain = tuple[str, ...]


def _names(value: Any) -> list[str]:
    """The module names of a list field (import-linter's fields are typed loosely)."""
    return [module.name for module in value or ()]


def _with_descendants(graph: ImportGraph, names: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for name in names:
        if name in graph.modules:
            found |= {name, *graph.find_descendants(name)}
    return found


def _missing(graph: ImportGraph, names: Iterable[str]) -> list[str]:
    return sorted({name for name in names if name not in graph.modules})


def _link(graph: ImportGraph, importer: str, imported: str) -> str:
    """``importer -> imported (l.3, l.12)``, as the built-in contracts print an import."""
    details = graph.get_import_details(importer=importer, imported=imported)
    numbers = ", ".join(f"l.{number}" for number in sorted({detail["line_number"] for detail in details}))
    return f"{importer} -> {imported}" + (f" ({numbers})" if numbers else "")


def _render_missing(missing: list[str]) -> None:
    for name in missing:
        output.print_error(f"{name} is named by this contract but does not exist.", bold=False)
    if missing:
        output.new_line()


class RoomContract(Contract):
    """A room reaches the forbidden modules through its entry points only.

    Options:
        - room: the packages making up the room.
        - except_rooms: packages inside ``room`` that are rooms of their own (not checked here).
        - forbidden: the packages the room must not import, directly or indirectly (the room's own
          modules are never forbidden to it, so ``tickets`` may be forbidden to ``tickets.notifications``).
        - entry_points: modules (with their sub-modules) inside ``forbidden`` that the room may import
          directly; what they import in turn is their own room's contract. (Optional.)
    """

    type_name = "room"

    room = fields.ListField(subfield=fields.ModuleField())
    except_rooms = fields.ListField(subfield=fields.ModuleField(), required=False)
    forbidden = fields.ListField(subfield=fields.ModuleField())
    entry_points = fields.ListField(subfield=fields.ModuleField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        room_names, carved_out = _names(self.room), _names(self.except_rooms)
        forbidden_names, entry_names = _names(self.forbidden), _names(self.entry_points)
        missing = _missing(graph, [*room_names, *carved_out, *forbidden_names])

        members = _with_descendants(graph, room_names) - _with_descendants(graph, carved_out)
        entries = _with_descendants(graph, entry_names)
        forbidden = _with_descendants(graph, forbidden_names) - members - entries

        chains: list[Chain] = []
        reach_cache: dict[str, Chain | None] = {}
        for importer in sorted(members):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if imported in forbidden:
                    chains.append((importer, imported))
                elif imported not in members and imported not in entries:
                    if imported not in reach_cache:
                        reach_cache[imported] = self._shortest_chain(graph, imported, forbidden, members | entries)
                    onward = reach_cache[imported]
                    if onward is not None:
                        chains.append((importer, *onward))
            output.verbose_print(verbose, f"Checked {importer}.")
        described = [[_link(graph, a, b) for a, b in itertools.pairwise(chain)] for chain in chains]
        return ContractCheck(kept=not (missing or chains),
                             metadata={"missing": missing, "chains": list(zip(chains, described, strict=True))})

    @staticmethod
    def _shortest_chain(graph: ImportGraph, start: str, forbidden: set[str], avoid: set[str]) -> Chain | None:
        """The shortest chain of imports from ``start`` to a forbidden module, not through ``avoid``."""
        previous: dict[str, str | None] = {start: None}
        queue = deque([start])
        while queue:
            module = queue.popleft()
            if module in forbidden:
                chain = [module]
                while (before := previous[chain[-1]]) is not None:
                    chain.append(before)
                return tuple(reversed(chain))
            for imported in sorted(graph.find_modules_directly_imported_by(module)):
                if imported not in previous and imported not in avoid:
                    previous[imported] = module
                    queue.append(imported)
        return None

    def render_broken_contract(self, check: ContractCheck) -> None:
        _render_missing(check.metadata["missing"])
        for chain, links in check.metadata["chains"]:
            output.print_error(f"{chain[0]} is not allowed to import {chain[-1]}:", bold=False)
            for link in links:
                output.indent_cursor()
                output.print_error(link, bold=False)
            output.new_line()


class AcyclicRoomsContract(Contract):
    """No cycle of direct imports between the rooms listed.

    Options:
        - rooms: packages, each a room; a module belongs to the most specific room containing it, so
          ``tickets`` is tickets core when ``tickets.intake`` is listed too. Modules in no room are
          not considered.
    """

    type_name = "acyclic_rooms"

    rooms = fields.ListField(subfield=fields.ModuleField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        rooms = _names(self.rooms)
        missing = _missing(graph, rooms)
        # Most specific first: a module's room is the first that contains it.
        by_depth = sorted((room for room in rooms if room in graph.modules), key=lambda room: -room.count("."))

        def room_of(module: str) -> str | None:
            return next((room for room in by_depth if module == room or module.startswith(room + ".")), None)

        # For each pair of rooms, one import that joins them (the first, in name order).
        edges: dict[tuple[str, str], tuple[str, str]] = {}
        for importer in sorted(graph.modules):
            source = room_of(importer)
            if source is None:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                target = room_of(imported)
                if target is not None and target != source:
                    edges.setdefault((source, target), (importer, imported))
        cycles = self._cycles(sorted({room for pair in edges for room in pair}), set(edges))
        details = [[(a, b, _link(graph, *edges[(a, b)])) for a, b in itertools.pairwise(cycle)]
                   for cycle in cycles]
        return ContractCheck(kept=not (missing or cycles), metadata={"missing": missing, "cycles": details})

    @staticmethod
    def _cycles(rooms: list[str], edges: set[tuple[str, str]]) -> list[list[str]]:
        """One shortest cycle through each room that is on one, each cycle reported once."""
        found: list[list[str]] = []
        seen: set[frozenset[str]] = set()
        for start in rooms:
            previous: dict[str, str] = {}
            queue = deque([start])
            while queue:
                room = queue.popleft()
                for source, target in sorted(edges):
                    if source != room:
                        continue
                    if target == start:
                        path = [room]
                        while path[-1] != start:
                            path.append(previous[path[-1]])
                        cycle = [start, *reversed(path[:-1]), start]
                        if frozenset(cycle) not in seen:
                            seen.add(frozenset(cycle))
                            found.append(cycle)
                        queue.clear()
                        break
                    if target not in previous:
                        previous[target] = room
                        queue.append(target)
        return found

    def render_broken_contract(self, check: ContractCheck) -> None:
        _render_missing(check.metadata["missing"])
        for cycle in check.metadata["cycles"]:
            rooms = " -> ".join([cycle[0][0], *(step[1] for step in cycle)])
            output.print_error(f"Import cycle between rooms: {rooms}", bold=False)
            for _, _, link in cycle:
                output.indent_cursor()
                output.print_error(link, bold=False)
            output.new_line()

