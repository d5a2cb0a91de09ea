"""Results: the targets of issue #8, machine facts, the table, and bench/results.json.

results.json (``schema`` 1)::

    {
      "schema": 1,
      "generated_at": "2026-...Z",                 # UTC, when the run finished
      "config": {"tickets": N, "seed": S, "repeat": R, "duration_s": D, "only": [1, 2, ...],
                 "gunicorn": {"workers": W, "worker_class": "sync", "rule": "2 x cores + 1"},
                 "celery": {"concurrency": C, "pool": "prefork"}, "wrk_threads": T,
                 "settings_module": "itsm.settings", "settings_overrides": {...},
                 "database": "itsm_bench", "load": {"generated": bool, "seconds": float | null, ...}},
      "machine": {"cores": 2, "memory_mb": ..., "cpu_model": ..., "kernel": ..., "python": ..., "django": ...,
                  "postgresql": ..., "redis": ..., "gunicorn": ..., "celery": ..., "wrk": ..., "pgbench": ...},
      "benchmarks": {
        "<name>": {                                # e.g. "ticket_create_c8", "alert_intake_c8", "queue_api",
          "title": "...",                          #      "queue_page", "sla_sweep", "outage_resolve",
          "available": true,                       #      "memory", "pgbench_insert_c8"
          "figures": {"<figure>": {"median": x, "min": x, "max": x, "runs": [...], "unit": "ms"}, ...},
          "checks": {...},                         # counts that prove nothing was lost or doubled
          "ok": true | false,                      # every check passed (and no run failed)
          "error": "..."                           # only when it could not run
        }, ...
      },
      "table": [{"benchmark", "figure", "unit", "median", "min", "max", "target", "met"}, ...],
      "cpu_by_step": {                             # where the time went, per step of the run
        "<step>": {"wall_s": s, "cpu_s": {"web": s, "celery": s, "postgres": s, "harness": s}}, ...
      }                                            # harness: wrk, pgbench and the Django helper it ran
    }

A figure's ``median``/``min``/``max`` are over the R runs (``runs`` lists each run's value). For the
database benchmarks (bench/db_benchmarks.py) the figures are the dicts that module returns, flattened:
a nested ``{"none_due": {"seconds": {...}}}`` becomes the figure ``none_due.seconds``.
``met`` compares the median with the target; ``null`` when the figure has no target or no value.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

# (benchmark, figure pattern, operator, value, how it reads in the table)
TARGETS: list[tuple[str, str, str, float, str]] = [
    ("ticket_create_c8", "requests_per_s", ">=", 400, ">= 400/s"),
    ("ticket_create_c8", "p99_ms", "<", 40, "< 40 ms"),
    ("alert_intake_c8", "events_per_s", ">=", 500, ">= 500/s"),
    ("queue_api", "p99_ms", "<", 50, "< 50 ms"),
    ("queue_page", "p99_ms", "<", 50, "< 50 ms"),
    ("sla_sweep", "none_due*ms*", "<", 20, "< 20 ms"),
    ("sla_sweep", "none_due*seconds*", "<", 0.020, "< 0.020 s"),
    ("sla_sweep", "*due*per_s*", ">=", 5000, ">= 5,000/s"),
    ("outage_resolve", "*seconds*", "<", 5, "< 5 s"),
    ("memory", "web_worker_peak_rss_mb", "<", 150, "< 150 MB"),
    ("memory", "celery_worker_peak_rss_mb", "<", 200, "< 200 MB"),
]


def target_for(benchmark: str, figure: str) -> tuple[str, float, str] | None:
    for name, pattern, operator, value, text in TARGETS:
        if name == benchmark and fnmatch.fnmatchcase(figure, pattern):
            if name == "sla_sweep" and "per_s" in pattern and "none_due" in figure:
                continue  # the due-tickets-per-second target is for the sweeps with tickets due
            return operator, value, text
    return None


def met(value: float | None, target: tuple[str, float, str] | None) -> bool | None:
    if value is None or target is None:
        return None
    operator, limit, _ = target
    return value >= limit if operator == ">=" else value < limit


def is_figure(value: object) -> bool:
    return isinstance(value, dict) and {"median", "min", "max"} <= set(value)


def flatten_figures(data: dict, prefix: str = "") -> tuple[dict, dict]:
    """Split a returned dict into figures (``{"median", "min", "max"}`` leaves, dotted names) and the rest."""
    figures, other = {}, {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if is_figure(value):
            figures[name] = value
        elif isinstance(value, dict):
            inner_figures, inner_other = flatten_figures(value, name + ".")
            figures.update(inner_figures)
            other.update(inner_other)
        else:
            other[name] = value
    return figures, other


def unit_of(figure: str) -> str:
    if "per_s" in figure or figure.endswith("tps"):
        return "/s"
    if figure.endswith("_ms") or ".ms" in figure or figure.endswith("ms"):
        return "ms"
    if "seconds" in figure or figure.endswith("_s"):
        return "s"
    if figure.endswith("_mb"):
        return "MB"
    return ""


def table_rows(benchmarks: dict) -> list[dict]:
    rows = []
    for name, bench in benchmarks.items():
        if not bench.get("available", True) or bench.get("error"):
            rows.append({"benchmark": name, "figure": "(not available)" if not bench.get("available", True)
                         else "(failed)", "unit": "", "median": None, "min": None, "max": None,
                         "target": bench.get("error", "")[:60], "met": None})
            continue
        for figure, value in bench.get("figures", {}).items():
            target = target_for(name, figure)
            rows.append({"benchmark": name, "figure": figure, "unit": value.get("unit") or unit_of(figure),
                         "median": value.get("median"), "min": value.get("min"), "max": value.get("max"),
                         "target": target[2] if target else "", "met": met(value.get("median"), target)})
        if "ok" in bench:
            rows.append({"benchmark": name, "figure": "checks", "unit": "", "median": None, "min": None, "max": None,
                         "target": "checks pass", "met": bool(bench["ok"])})
    return rows


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"
    return str(value)


def render_table(rows: list[dict]) -> str:
    header = ["benchmark", "figure", "median", "min", "max", "unit", "target", "met?"]
    lines = [[row["benchmark"], row["figure"], _fmt(row["median"]), _fmt(row["min"]), _fmt(row["max"]), row["unit"],
              row["target"], {True: "yes", False: "NO", None: ""}[row["met"]]] for row in rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
    out = ["  ".join(str(cell).ljust(width) for cell, width in zip(header, widths, strict=True)),
           "  ".join("-" * width for width in widths)]
    out += ["  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(line.rstrip() for line in out)


# --- machine facts -----------------------------------------------------------------------------------

def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _first_line(command: list[str]) -> str | None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
        text = (done.stdout or done.stderr).strip()
        return text.splitlines()[0] if text else None
    return None


def _version(package: str) -> str | None:
    from importlib import metadata

    with contextlib.suppress(metadata.PackageNotFoundError):
        return metadata.version(package)
    return None


def machine_facts(*, postgresql: str | None, redis: str | None) -> dict:
    meminfo = _read("/proc/meminfo")
    total_kb = re.search(r"^MemTotal:\s+(\d+)", meminfo, re.M)
    cpuinfo = _read("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    return {
        "cores": os.cpu_count(),
        "memory_mb": round(int(total_kb.group(1)) / 1024) if total_kb else None,
        "cpu_model": model.group(1).strip() if model else platform.processor() or None,
        "kernel": platform.release(),
        "os": _first_line(["sh", "-c", ". /etc/os-release && echo \"$PRETTY_NAME\""]),
        "python": sys.version.split()[0],
        "django": _version("Django"),
        "djangorestframework": _version("djangorestframework"),
        "psycopg2": _version("psycopg2-binary") or _version("psycopg2"),
        "gunicorn": _version("gunicorn"),
        "celery": _version("celery"),
        "postgresql": postgresql,
        "redis": redis,
        "wrk": _first_line(["wrk", "--version"]),
        "pgbench": _first_line(["pgbench", "--version"]),
    }


def results_document(*, config: dict, machine: dict, benchmarks: dict, cpu: dict | None = None) -> dict:
    return {
        "schema": 1,
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "config": config,
        "machine": machine,
        "benchmarks": benchmarks,
        "table": table_rows(benchmarks),
        "cpu_by_step": cpu or {},
    }


def render_cpu(cpu_by_step: dict) -> str:
    """One line per step: wall seconds and the CPU seconds of each kind of process, largest first."""
    lines = []
    for step, used in cpu_by_step.items():
        kinds = sorted(used["cpu_s"].items(), key=lambda item: -item[1])
        total = sum(seconds for _, seconds in kinds)
        lines.append(f"  {step:<18} {used['wall_s']:>6.1f} s wall, {total:>6.1f} s CPU: "
                     + ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in kinds))
    return "\n".join(lines)


def write_results(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=False, default=str) + "\n")
