"""The processes a benchmark run starts (gunicorn, a Celery worker), and their memory.

Each service runs in a session of its own, so Ctrl-C in the terminal reaches only the harness,
which then stops them in order: SIGTERM to the process group, SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    def __init__(self, name: str, command: list[str], *, env: dict[str, str], cwd: Path, log_path: Path) -> None:
        self.name, self.command, self.log_path = name, command, log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, grace: float = 20.0) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        else:
            # The leader is gone; make sure nothing of its group lingers (a pool child, say).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()


def wait_http(port: int, path: str, *, service: Service, timeout: float = 60.0) -> None:
    """Until ``GET path`` answers at all (any status), or fail with the service's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.alive():
            raise RuntimeError(f"{service.name} exited ({service.process.returncode}):\n{service.log_tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{service.name} did not answer on port {port} within {timeout:.0f} s:\n{service.log_tail()}")


def wait_log(service: Service, needle: str, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.alive():
            raise RuntimeError(f"{service.name} exited ({service.process.returncode}):\n{service.log_tail()}")
        if needle in service.log_tail(200_000):
            return
        time.sleep(0.3)
    raise RuntimeError(f"{service.name} not ready within {timeout:.0f} s:\n{service.log_tail()}")


# --- memory ------------------------------------------------------------------------------------------

def _status_kb(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def children_of(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc/*/stat parent ids)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces: the parent id follows the last ')'.
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a live process has used so far; 0 for one that is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            stat = handle.read()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()  # fields from the state on: utime and stime are the 12th, 13th
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pids_of_command(name: str) -> list[int]:
    """Processes whose command line starts with ``name`` (PostgreSQL's backends: "postgres: ...")."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().split(b"\0", 1)[0].decode(errors="replace")
        except OSError:
            continue
        # A backend renames itself ("postgres: 15/main: postgres itsm_bench ..."); the server is a path.
        if command.startswith(name) or os.path.basename(command.split(" ", 1)[0]) == name:
            found.append(int(entry))
    return found


class CpuMeter:
    """CPU seconds used by each kind of process between ``start`` and ``stop``.

    ``kinds`` maps a kind to a function returning its pids at that moment. A process that exits in
    between is not counted (PostgreSQL backends of short-lived connections); the harness's own
    children that it waited for (``wrk``, ``pgbench``, the Django helper) are counted as "harness".
    """

    def __init__(self, kinds: dict[str, callable]) -> None:
        self.kinds = kinds

    def _snapshot(self) -> dict[str, dict[int, float]]:
        return {kind: {pid: cpu_seconds(pid) for pid in pids()} for kind, pids in self.kinds.items()}

    def start(self) -> None:
        self._before, self._children_before, self._wall = self._snapshot(), _children_cpu(), time.monotonic()

    def stop(self) -> dict:
        after = self._snapshot()
        # A process born during the step (a new PostgreSQL backend) counts from zero.
        used = {kind: round(sum(cpu - self._before[kind].get(pid, 0.0) for pid, cpu in after[kind].items()), 2)
                for kind in self.kinds}
        used["harness"] = round(_children_cpu() - self._children_before, 2)
        return {"wall_s": round(time.monotonic() - self._wall, 1), "cpu_s": used}


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


class MemorySampler:
    """Every ``interval`` seconds, VmRSS of each process of each kind; keeps the peak per kind.

    ``kinds`` maps a kind to a function returning its pids at that moment (gunicorn's workers, not
    the master; the Celery main process and its pool children). VmHWM (the kernel's own peak) is
    read for the same processes at ``stop()`` and at each sample, so a peak between samples is not lost.
    """

    def __init__(self, kinds: dict[str, callable], interval: float = 0.5) -> None:
        self.kinds, self.interval = kinds, interval
        self.peak_rss_kb: dict[str, int] = dict.fromkeys(kinds, 0)
        self.peak_hwm_kb: dict[str, int] = dict.fromkeys(kinds, 0)
        self.processes: dict[str, set[int]] = {kind: set() for kind in kinds}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="memory-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def sample(self) -> None:
        for kind, pids in self.kinds.items():
            for pid in pids():
                self.processes[kind].add(pid)
                rss, hwm = _status_kb(pid, "VmRSS"), _status_kb(pid, "VmHWM")
                if rss:
                    self.peak_rss_kb[kind] = max(self.peak_rss_kb[kind], rss)
                if hwm:
                    self.peak_hwm_kb[kind] = max(self.peak_hwm_kb[kind], hwm)
        self.samples += 1

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            with contextlib.suppress(Exception):
                self.sample()

    def stop(self) -> dict:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        with contextlib.suppress(Exception):
            self.sample()
        return {kind: {"peak_rss_mb": round(self.peak_rss_kb[kind] / 1024, 1),
                       "peak_hwm_mb": round(self.peak_hwm_kb[kind] / 1024, 1),
                       "processes_seen": len(self.processes[kind])} for kind in self.kinds}
