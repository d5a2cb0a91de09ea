"""Driving ``wrk``: installing it when missing, writing its Lua scripts, reading its output.

Every script counts the responses by HTTP status per thread and prints one ``WRK_JSON {...}`` line
from ``done()`` (requests, duration, exact latency percentiles in microseconds, status counts),
because wrk's own "Non-2xx or 3xx responses" counts a redirect (to the login page, say) as success.
The human ``--latency`` text is parsed too (``parse_latency_output``): it is what wrk prints for
anyone, and the figures fall back to it if the JSON line is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = re.compile(r"^([\d.]+)(us|ms|s|m|h)$")
_COUNT_SUFFIX = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}


class WrkMissing(RuntimeError):
    pass


def ensure_wrk() -> str:
    """The wrk binary; installed with apt-get (Debian package ``wrk``) when missing and root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk for the HTTP benchmarks (Debian package wrk)", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "wrk"]
        if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL, check=False)
            subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=False)
        found = shutil.which("wrk")
        if found:
            return found
    raise WrkMissing("The HTTP benchmarks need wrk: install Debian's wrk package (apt-get install wrk), "
                     "or put a wrk binary on PATH.")


def duration_ms(text: str) -> float:
    """wrk's durations: ``812.00us``, ``3.21ms``, ``1.02s``, ``1.50m``."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def _count(text: str) -> float:
    text = text.strip()
    suffix = text[-1] if text and text[-1] in "kMG" else ""
    return float(text[: len(text) - len(suffix)]) * _COUNT_SUFFIX[suffix]


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    requests_per_s: float
    latency_ms: dict[str, float]  # "50", "75", "90", "99" (and "max" when known)
    non_2xx_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)  # from the Lua counters, when present

    @property
    def ok_2xx(self) -> int:
        return sum(count for status, count in self.statuses.items() if status.startswith("2"))

    @property
    def errors(self) -> int:
        """Responses other than 2xx, plus socket errors (connect, read, write, timeout)."""
        if self.statuses:
            bad = sum(count for status, count in self.statuses.items() if not status.startswith("2"))
        else:
            bad = self.non_2xx_3xx
        return bad + sum(self.socket_errors.values())


def parse_latency_output(text: str) -> WrkResult:
    """Read ``wrk --latency`` output (and the scripts' ``WRK_JSON`` line if there)."""
    latency: dict[str, float] = {}
    in_distribution = False
    requests = duration = rps = None
    non_2xx = 0
    socket_errors: dict[str, int] = {}
    extra: dict | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("WRK_JSON "):
            extra = json.loads(line[len("WRK_JSON "):])
            continue
        if line.startswith("Latency Distribution"):
            in_distribution = True
            continue
        if in_distribution:
            match = re.match(r"^(\d+(?:\.\d+)?)%\s+(\S+)$", line)
            if match:
                latency[_percent_key(match.group(1))] = duration_ms(match.group(2))
                continue
            in_distribution = False
        if line.startswith("Latency") and "max" not in latency:
            parts = line.split()
            if len(parts) >= 4:
                latency["max"] = duration_ms(parts[3])
        match = re.match(r"^(\d+) requests in ([\d.]+\w+),", line)
        if match:
            requests, duration = int(match.group(1)), duration_ms(match.group(2)) / 1000
        match = re.match(r"^Non-2xx or 3xx responses:\s+(\d+)", line)
        if match:
            non_2xx = int(match.group(1))
        match = re.match(r"^Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", line)
        if match:
            socket_errors = dict(zip(("connect", "read", "write", "timeout"), map(int, match.groups()), strict=True))
        match = re.match(r"^Requests/sec:\s+([\d.]+\w?)", line)
        if match:
            rps = _count(match.group(1))
    if extra:
        requests = int(extra.get("requests", requests or 0))
        if extra.get("duration_us"):
            duration = extra["duration_us"] / 1e6
        if extra.get("latency_us"):
            latency.update({key: value / 1000 for key, value in extra["latency_us"].items()})
    if requests is None or duration is None:
        raise ValueError("wrk output without a 'N requests in T' line:\n" + text[-2000:])
    if duration > 0:
        rps = requests / duration
    return WrkResult(
        requests=requests, duration_s=duration, requests_per_s=rps or 0.0, latency_ms=latency,
        non_2xx_3xx=non_2xx, socket_errors=socket_errors,
        statuses={str(k): int(v) for k, v in (extra or {}).get("statuses", {}).items()},
    )


def _percent_key(text: str) -> str:
    value = float(text)
    return str(int(value)) if value.is_integer() else str(value)


# --- Lua ---------------------------------------------------------------------------------------------

_COMMON = r"""
local threads = {}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end
statuses = {}
counter = 0
function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end
function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for key, value in pairs(thread:get("statuses")) do merged[key] = (merged[key] or 0) + value end
  end
  local parts = {}
  for key, value in pairs(merged) do table.insert(parts, string.format('"%s": %d', key, value)) end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "latency_us": {"50": %d, "75": %d, "90": %d, "99": %d, ' ..
    '"max": %d}, "socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout, table.concat(parts, ", ")))
end
"""


def lua_string(text: str) -> str:
    """A Lua long-bracket literal holding ``text`` verbatim."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def _headers(headers: dict[str, str]) -> str:
    # Spaces inside the brackets: ``[[[`` would open a long string.
    return "{" + ", ".join(f"[ {lua_string(k)} ] = {lua_string(v)}" for k, v in headers.items()) + "}"


def get_script(path: str, headers: dict[str, str]) -> str:
    """The same GET every time (the queue list or page)."""
    return _COMMON + f"""
local request_text = nil
function request()
  if request_text == nil then request_text = wrk.format("GET", {lua_string(path)}, {_headers(headers)}) end
  return request_text
end
"""


def post_script(path: str, headers: dict[str, str], template: str) -> str:
    """A POST whose body is ``template`` with ``@N@`` replaced by ``<thread>-<counter>``: unique per request."""
    return _COMMON + f"""
local template = {lua_string(template)}
local headers = {_headers(headers)}
function request()
  counter = counter + 1
  local n = string.format("%d-%d", tid, counter)
  local body = string.gsub(template, "@N@", n)
  return wrk.format("POST", {lua_string(path)}, headers, body)
end
"""


def alert_script(path: str, headers: dict[str, str], template: str, *, hot_keys: int, new_every: int) -> str:
    """Alertmanager deliveries: ``@KEY@`` is one of ``hot_keys`` repeating groups, except every
    ``new_every``-th request of a thread, which gets a key never sent before (``new-<thread>-<n>``)."""
    return _COMMON + f"""
local template = {lua_string(template)}
local headers = {_headers(headers)}
function request()
  counter = counter + 1
  local key
  if counter % {new_every} == 0 then
    key = string.format("new-%d-%d", tid, counter)
  else
    key = string.format("hot-%d", (counter + tid * 7) % {hot_keys})
  end
  local body = string.gsub(template, "@KEY@", key)
  return wrk.format("POST", {lua_string(path)}, headers, body)
end
"""


def run(binary: str, url: str, script: str, *, connections: int, threads: int, duration: int, workdir: Path,
        name: str, timeout_s: int = 10) -> tuple[WrkResult, str]:
    """One wrk run; returns the parsed result and the raw output."""
    script_path = workdir / f"{name}.lua"
    script_path.write_text(script)
    command = [binary, "--latency", "-t", str(max(1, min(threads, connections))), "-c", str(connections),
               "-d", f"{duration}s", "--timeout", f"{timeout_s}s", "-s", str(script_path), url]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=duration + timeout_s + 60)
    output = completed.stdout + completed.stderr
    if completed.returncode != 0 or "WRK_JSON " not in output:
        # wrk exits 0 even when its Lua script fails; the script's summary line is then missing.
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{output[-2000:]}")
    return parse_latency_output(output), output
