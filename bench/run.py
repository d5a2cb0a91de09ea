"""``make bench``: the benchmarks of issue #8 against a PostgreSQL database of their own.

    .venv/bin/python bench/run.py [--tickets N] [--seed S] [--repeat R] [--duration S]
                                  [--skip-load] [--only 1,2,...]

1. ticket creation, ``POST /api/v1/tickets/`` at concurrency 1 and 8 (wrk): requests/s, p50, p99;
2. Alertmanager intake at concurrency 8, 90 % of deliveries repeating a few alert groups: events/s
   until every event is processed and the Celery queue is empty; p99; then the exact counts;
3. the dispatcher queue at the loaded size, as API list and as HTML page (c=8): p50, p99;
4. the SLA sweep and 5. an outage resolve with 10,000 children (bench/db_benchmarks.py, run in a
   Django subprocess; recorded as "not available" when that module is missing);
6. peak resident memory of the gunicorn workers and of the Celery worker (sampled every 0.5 s);
7. a reference on the same server: pgbench, one single-row INSERT per transaction, -c 8 -j 2.

It creates (or, with ``--skip-load`` and the same N and seed, reuses) the database ``itsm_bench``
filled by ``manage.py generate_load``, starts gunicorn (2 x cores + 1 sync workers) and a Celery
worker (prefork, concurrency = cores) on Redis db 13, runs each benchmark R times, prints a table
and writes bench/results.json (its shape: bench/report.py). Ctrl-C stops everything it started.

Environment: BENCH_TICKETS, BENCH_PG_URL (postgres://postgres@127.0.0.1:5432), BENCH_DB (itsm_bench),
BENCH_REDIS_URL (redis://127.0.0.1:6379/13), BENCH_VAR_DIR (var/bench), BENCH_WEB_WORKERS, SECRET_KEY.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import procs, report, wrk  # noqa: E402
from bench.stats import summarize  # noqa: E402

OPEN_STATUSES = ["new", "in_process", "wait_customer", "wait_vendor", "customer_responded"]
MARKER = re.compile(r"^itsm-bench tickets=(\d+) seed=(\d+)$")
ALL = (1, 2, 3, 4, 5, 6, 7)


class Interrupted(Exception):
    pass


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=int(os.environ.get("BENCH_TICKETS", 1_000_000)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("BENCH_SEED", 1)))
    parser.add_argument("--repeat", type=int, default=5, help="Runs per benchmark (median, min, max).")
    parser.add_argument("--duration", type=int, default=10, help="Seconds per HTTP (and pgbench) run.")
    parser.add_argument("--skip-load", action="store_true",
                        help="Reuse the bench database when it holds the same --tickets and --seed.")
    parser.add_argument("--only", type=parse_only, default=ALL, help="A subset, e.g. 1,2,7.")
    parser.add_argument("--children", type=int, default=10_000, help="Outage children for benchmark 5.")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args(argv)
    if args.tickets < 1 or args.repeat < 1 or args.duration < 1:
        parser.error("--tickets, --repeat and --duration must be positive")
    return args


def parse_only(text: str) -> tuple[int, ...]:
    try:
        chosen = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError("--only takes numbers 1-7 separated by commas") from None
    if not chosen or any(number not in ALL for number in chosen):
        raise argparse.ArgumentTypeError("--only takes numbers 1-7 separated by commas")
    return tuple(chosen)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


class Harness:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.cores = os.cpu_count() or 1
        self.web_workers = int(os.environ.get("BENCH_WEB_WORKERS", 2 * self.cores + 1))
        self.celery_concurrency = self.cores
        self.wrk_threads = self.cores
        self.pg_url = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
        self.db_name = os.environ.get("BENCH_DB", "itsm_bench")
        self.pgbench_db = f"{self.db_name}_pgbench"
        self.database_url = with_database(self.pg_url, self.db_name)
        self.redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
        self.var_dir = Path(os.environ.get("BENCH_VAR_DIR", ROOT / "var" / "bench")).resolve()
        self.work = self.var_dir / "run"
        self.run_id = f"{int(time.time()):x}"
        self.services: list[procs.Service] = []
        self.sampler: procs.MemorySampler | None = None
        self.cpu_meter: procs.CpuMeter | None = None
        self.cpu_by_step: dict[str, dict] = {}
        self.benchmarks: dict[str, dict] = {}
        self.load_info: dict = {}
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "itsm.settings",
            # The intake benchmark drives one integration at hundreds of events a second: with the
            # production quota it would measure the quota (429s), not the service.
            "INTEGRATION_THROTTLE_RATE": os.environ.get("BENCH_INTEGRATION_RATE", "1000000/min"),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "ITSM_VAR_DIR": str(self.var_dir),
            "STATIC_ROOT": str(self.var_dir / "static"),
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
        }

    # --- small tools -----------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        print(f"[bench] {text}", flush=True)

    def manage(self, *arguments: str, log: str) -> None:
        with (self.work / f"{log}.log").open("ab") as handle:
            done = subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=self.env,
                                  stdout=handle, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            tail = (self.work / f"{log}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{tail}")

    def django(self, function: str, timeout: float = 3600, **kwargs) -> dict:
        """Run ``bench.django_side.<function>`` (or ``module:function``) in a Django subprocess."""
        target = function if ":" in function else f"bench.django_side:{function}"
        with tempfile.NamedTemporaryFile(suffix=".json", dir=self.work, delete=False) as handle:
            out = Path(handle.name)
        try:
            with (self.work / "django_call.log").open("ab") as log:
                done = subprocess.run([sys.executable, "-m", "bench.django_call", str(out), target, json.dumps(kwargs)],
                                      cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout)
            if done.returncode != 0 or not out.stat().st_size:
                tail = (self.work / "django_call.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{target} failed:\n{tail}")
            return json.loads(out.read_text())
        finally:
            out.unlink(missing_ok=True)

    def pg(self, dbname: str = "postgres", autocommit: bool = True):
        import psycopg2

        connection = psycopg2.connect(with_database(self.pg_url, dbname))
        connection.autocommit = autocommit
        return connection

    def sql(self, query: str, params: tuple = (), dbname: str | None = None) -> list[tuple]:
        connection = self.pg(dbname or self.db_name)
        try:
            with connection.cursor() as cursor:
                cursor.execute(query, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def redis(self):
        import redis

        return redis.Redis.from_url(self.redis_url)

    # --- the database --------------------------------------------------------------------------------

    def loaded_marker(self) -> tuple[int, int] | None:
        rows = self.sql("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                        (self.db_name,), dbname="postgres")
        if not rows or not rows[0][0]:
            return None
        match = MARKER.match(rows[0][0])
        return (int(match.group(1)), int(match.group(2))) if match else None

    def prepare_database(self) -> None:
        args = self.args
        marker = self.loaded_marker()
        reuse = args.skip_load and marker == (args.tickets, args.seed)
        if args.skip_load and not reuse:
            self.say(f"--skip-load: the bench database holds {marker or 'nothing usable'}, "
                     f"not tickets={args.tickets} seed={args.seed}: generating it again")
        if not reuse:
            connection = self.pg()
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{self.db_name}"')
            connection.close()
        self.say("migrating")
        self.manage("migrate", "--noinput", log="migrate")
        generate_seconds = None
        if not reuse:
            self.say(f"generate_load --tickets {args.tickets} --seed {args.seed}")
            started = time.monotonic()
            self.manage("generate_load", "--tickets", str(args.tickets), "--seed", str(args.seed), log="generate_load")
            generate_seconds = round(time.monotonic() - started, 1)
            self.sql("VACUUM ANALYZE")
            connection = self.pg()
            with connection.cursor() as cursor:
                cursor.execute(f'COMMENT ON DATABASE "{self.db_name}" IS %s',
                               (f"itsm-bench tickets={args.tickets} seed={args.seed}",))
            connection.close()
        else:
            self.say(f"reusing the bench database (tickets={args.tickets} seed={args.seed})")
        self.manage("collectstatic", "--noinput", log="collectstatic")
        total = self.sql("SELECT count(*) FROM tickets_ticket")[0][0]
        self.load_info = {"generated": not reuse, "generate_seconds": generate_seconds, "tickets_loaded": args.tickets,
                          "seed": args.seed, "tickets_in_database_at_start": total}

    # --- services ------------------------------------------------------------------------------------

    def start_services(self) -> None:
        self.port = procs.free_port()
        python = sys.executable
        celery = procs.Service("celery", [
            python, "-m", "celery", "-A", "itsm", "worker", "-Q", "celery,intake,notifications,sla",
            "--pool", "prefork", "--concurrency",
            str(self.celery_concurrency), "-n", f"bench-{self.run_id}@%h", "--without-gossip", "--without-mingle",
            "-l", "warning"], env=self.env, cwd=ROOT, log_path=self.work / "celery.log")
        self.services.append(celery)
        web = procs.Service("gunicorn", [
            python, "-m", "gunicorn", "itsm.wsgi", "--workers", str(self.web_workers), "--worker-class", "sync",
            "--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--graceful-timeout", "10",
            "--log-level", "warning"], env=self.env, cwd=ROOT, log_path=self.work / "gunicorn.log")
        self.services.append(web)
        self.celery, self.web = celery, web
        procs.wait_http(self.port, "/api/v1/me/", service=web)
        self.wait_celery_ready()
        self.sampler = procs.MemorySampler({
            "web_worker": lambda: procs.children_of(web.pid),
            "celery_worker": lambda: [celery.pid, *procs.children_of(celery.pid)],
        })
        self.sampler.start()
        self.cpu_meter = procs.CpuMeter({
            "web": lambda: [web.pid, *procs.children_of(web.pid)],
            "celery": lambda: [celery.pid, *procs.children_of(celery.pid)],
            "postgres": lambda: procs.pids_of_command("postgres"),
        })
        self.say(f"gunicorn on 127.0.0.1:{self.port} with {self.web_workers} sync workers; Celery worker, prefork, "
                 f"concurrency {self.celery_concurrency}, broker {self.redis_url}")

    def measure_cpu(self, key: str, step) -> None:
        """Run one step and record the CPU each kind of process used for it, the Celery work it left
        behind included (where the next bottleneck is: README, "Scaling")."""
        if self.cpu_meter is None or not self.services:
            step()
            return
        self.wait_celery_idle()
        self.cpu_meter.start()
        step()
        self.wait_celery_idle()
        self.cpu_by_step[key] = self.cpu_meter.stop()

    def wait_celery_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.celery.alive():
                raise RuntimeError(f"the Celery worker exited:\n{self.celery.log_tail()}")
            done = subprocess.run([sys.executable, "-m", "celery", "-A", "itsm", "inspect", "ping", "-d",
                                   f"bench-{self.run_id}@{os.uname().nodename}", "--timeout", "2"],
                                  cwd=ROOT, env=self.env, capture_output=True, text=True)
            if done.returncode == 0 and "pong" in done.stdout:
                return
            time.sleep(1)
        raise RuntimeError(f"the Celery worker did not answer a ping within {timeout:.0f} s:\n{self.celery.log_tail()}")

    def celery_backlog(self) -> int:
        client = self.redis()
        waiting = sum(client.llen(key) for key in client.scan_iter("celery*") if client.type(key) == b"list")
        return waiting + client.hlen("unacked")

    def wait_celery_idle(self, timeout: float = 600) -> float | None:
        """Seconds until the broker holds no waiting or unacknowledged task; None if not within ``timeout``."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.celery_backlog() == 0:
                return time.monotonic() - started
            time.sleep(0.1)
        return None

    def stop_services(self) -> dict:
        memory = self.sampler.stop() if self.sampler else {}
        for service in reversed(self.services):
            service.stop()
        self.services.clear()
        return memory

    # --- HTTP helpers --------------------------------------------------------------------------------

    def http(self, method: str, path: str, *, headers: dict | None = None, body: bytes | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response, data

    def login(self, username: str, password: str) -> str:
        """The Cookie header of a session logged in through /accounts/login/."""
        response, page = self.http("GET", "/accounts/login/")
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if response.status != 200 or "csrftoken" not in cookies or not csrf:
            raise RuntimeError(f"the login page answered {response.status} without a CSRF token")
        form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": csrf.group(1).decode()})
        response, _ = self.http("POST", "/accounts/login/", body=form.encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookies['csrftoken'].value}"})
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        if response.status != 302 or "sessionid" not in cookies:
            raise RuntimeError(f"logging in as {username} answered {response.status}, no session")
        return "; ".join(f"{name}={cookies[name].value}" for name in ("sessionid", "csrftoken"))

    def wrk(self, script: str, *, connections: int, name: str) -> wrk.WrkResult:
        result, output = wrk.run(self.wrk_binary, f"http://127.0.0.1:{self.port}", script, connections=connections,
                                 threads=self.wrk_threads, duration=self.args.duration, workdir=self.work, name=name)
        (self.work / f"{name}.out").write_text(output)
        return result

    # --- the benchmarks ------------------------------------------------------------------------------

    def bench_create(self, connections: int) -> dict:
        fixture = self.fixture
        headers = {"Authorization": f"Bearer {fixture['token']}", "Content-Type": "application/json"}
        rates, p50, p99, checks, ok = [], [], [], [], True
        for run in range(1, self.args.repeat + 1):
            self.wait_celery_idle()
            tag = f"bench-{self.run_id}-c{connections}-r{run}"
            body = json.dumps({
                "title": f"{tag} @N@ Wi-Fi drops in the library", "impact": "department", "urgency": "impaired",
                "service": fixture["service_id"], "requester": fixture["requester_id"], "source": "phone",
                "description": "Reported by phone: the wireless network drops every few minutes on floor 2.",
            })
            result = self.wrk(wrk.post_script("/api/v1/tickets/", headers, body), connections=connections,
                              name=f"create-c{connections}-r{run}")
            made, distinct = self.sql("SELECT count(*), count(DISTINCT title) FROM tickets_ticket WHERE title LIKE %s",
                                      (tag + " %",))[0]
            created = result.statuses.get("201", 0)
            # A request still in flight when wrk stops may have been served without wrk counting it.
            check = {"run": run, "responses_201": created, "errors": result.errors, "tickets_made": made,
                     "distinct_titles": distinct, "statuses": result.statuses,
                     "ok": result.errors == 0 and 0 < created <= made <= created + connections and distinct == made}
            ok &= check["ok"]
            checks.append(check)
            rates.append(created / result.duration_s if result.duration_s else None)
            p50.append(result.latency_ms.get("50"))
            p99.append(result.latency_ms.get("99"))
            self.say(f"create c={connections} run {run}: {rates[-1]:.0f}/s p50 {p50[-1]:.1f} ms p99 {p99[-1]:.1f} ms"
                     f" ({created} created, {result.errors} errors)")
        return {"title": f"POST /api/v1/tickets/ at concurrency {connections}", "available": True,
                "figures": {"requests_per_s": summarize(rates), "p50_ms": summarize(p50), "p99_ms": summarize(p99)},
                "checks": {"runs": checks, "rule": "every 201 made exactly one ticket (titles unique per request); "
                           "tickets made may exceed 201s by at most the requests in flight when wrk stopped"},
                "ok": ok}

    def bench_intake(self, connections: int = 8, hot_keys: int = 20, new_every: int = 10) -> dict:
        fixture = self.fixture
        rates, p50, p99, runs, ok = [], [], [], [], True
        for run in range(1, self.args.repeat + 1):
            self.wait_celery_idle()
            integration = self.django("integration_new", name=f"bench-{self.run_id}-am-{run}",
                                      service_id=fixture["service_id"], group_id=fixture["group"]["id"])
            headers = {"Authorization": f"Bearer {integration['token']}", "Content-Type": "application/json"}
            group = f"bench-{self.run_id}-{run}-@KEY@"
            payload = json.dumps({
                "version": "4", "receiver": "itsm", "status": "firing", "truncatedAlerts": 0,
                "groupKey": '{}/{severity="critical"}:{alertname="' + group + '"}',
                "groupLabels": {"alertname": group}, "commonLabels": {"alertname": group, "severity": "critical"},
                "commonAnnotations": {"summary": f"{group} on files01"},
                "externalURL": "http://alertmanager.example.edu:9093",
                "alerts": [{"status": "firing", "labels": {"alertname": group, "instance": "files01:9100",
                                                           "severity": "critical"},
                            "annotations": {"summary": f"{group} on files01"},
                            "startsAt": "2026-11-26T09:58:01Z", "endsAt": "0001-01-01T00:00:00Z",
                            "generatorURL": "http://prometheus.example.edu/graph", "fingerprint": "f-@KEY@"}],
            })
            script = wrk.alert_script("/api/v1/integrations/alertmanager/", headers, payload, hot_keys=hot_keys,
                                      new_every=new_every)
            started = time.monotonic()
            result = self.wrk(script, connections=connections, name=f"intake-r{run}")
            events_done_at = self.wait_events_processed(integration["id"])
            idle = self.wait_celery_idle()
            finished = time.monotonic()
            check = self.django("intake_check", integration_id=integration["id"])
            delivered = result.statuses.get("200", 0) + result.statuses.get("202", 0)
            check.update(run=run, responses_2xx=delivered, errors=result.errors, statuses=result.statuses,
                         events_processed_after_s=round(events_done_at - started, 3) if events_done_at else None,
                         celery_idle_after_s=round(finished - started, 3) if idle is not None else None)
            check["ok"] = bool(check["ok"] and result.errors == 0 and events_done_at and idle is not None
                               and 0 < delivered <= check["events"] <= delivered + connections)
            ok &= check["ok"]
            runs.append(check)
            processed = check["states"].get("processed", 0)
            rates.append(processed / (finished - started) if check["ok"] else None)
            p50.append(result.latency_ms.get("50"))
            p99.append(result.latency_ms.get("99"))
            self.say(f"intake run {run}: {processed} events, {check['alert_groups']} groups, "
                     f"{check['tickets']} tickets, {check['occurrences']} occurrences; "
                     f"{(rates[-1] or 0):.0f} events/s, p99 {p99[-1]:.1f} ms, ok={check['ok']}")
        return {"title": f"Alertmanager intake at concurrency {connections}, {100 - 100 // new_every}% repeats of "
                         f"{hot_keys} alert groups", "available": True,
                "figures": {"events_per_s": summarize(rates), "p50_ms": summarize(p50), "p99_ms": summarize(p99)},
                "checks": {"runs": runs, "rule": "tickets == alert groups == distinct group keys delivered; "
                           "occurrences == events stored; every event processed; no error responses"},
                "ok": ok}

    def wait_events_processed(self, integration_id: int, timeout: float = 600) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = self.sql("SELECT count(*) FROM tickets_rawevent WHERE integration_id = %s "
                            "AND state IN ('pending', 'failed')", (integration_id,))[0][0]
            if left == 0:
                return time.monotonic()
            time.sleep(0.1)
        return None

    def bench_get(self, name: str, title: str, path: str, headers: dict, check_body) -> dict:
        response, data = self.http("GET", path, headers=headers)
        detail = check_body(response, data)
        p50, p99, rates, ok, errors = [], [], [], True, []
        for run in range(1, self.args.repeat + 1):
            result = self.wrk(wrk.get_script(path, headers), connections=8, name=f"{name}-r{run}")
            good = result.statuses.get("200", 0)
            ok &= result.errors == 0 and good > 0
            errors.append({"run": run, "responses_200": good, "errors": result.errors, "statuses": result.statuses})
            p50.append(result.latency_ms.get("50"))
            p99.append(result.latency_ms.get("99"))
            rates.append(good / result.duration_s if result.duration_s else None)
            self.say(f"{name} run {run}: {rates[-1]:.0f}/s p50 {p50[-1]:.1f} ms p99 {p99[-1]:.1f} ms")
        return {"title": title, "available": True, "path": path,
                "figures": {"p50_ms": summarize(p50), "p99_ms": summarize(p99), "requests_per_s": summarize(rates)},
                "checks": {"first_response": detail, "runs": errors}, "ok": ok}

    def bench_queue(self) -> None:
        fixture = self.fixture
        group = fixture["group"]
        query = urlencode([("group", group["id"]), *[("status", status) for status in OPEN_STATUSES],
                           ("ordering", "resolve_by,id")])

        def check_api(response, data):
            if response.status != 200:
                raise RuntimeError(f"the queue list answered {response.status}: {data[:300]!r}")
            page = json.loads(data)
            deadlines = [row.get("resolve_by") for row in page["results"]]
            present = [value for value in deadlines if value]
            return {"status": 200, "count": page.get("count"), "rows": len(page["results"]),
                    "ordered_by_resolve_by": present == sorted(present)}

        self.benchmarks["queue_api"] = self.bench_get(
            "queue-api", f"GET /api/v1/tickets/ a group's open tickets by nearest Resolve-By, 50 a page "
                         f"({group['open_tickets']:,} open in the group), c=8",
            f"/api/v1/tickets/?{query}", {"Authorization": f"Bearer {fixture['token']}"}, check_api)

        cookie = self.login(fixture["dispatcher"]["username"], fixture["dispatcher"]["password"])

        def check_page(response, data):
            if response.status != 200 or b"<html" not in data.lower():
                raise RuntimeError(f"the queue page answered {response.status}")
            return {"status": 200, "bytes": len(data)}

        self.benchmarks["queue_page"] = self.bench_get(
            "queue-page", f"GET /queues/{group['slug']}/ as its dispatcher (HTML, 50 a page), c=8",
            f"/queues/{group['slug']}/", {"Cookie": cookie}, check_page)

    def bench_db(self, key: str, function: str, title: str, **kwargs) -> None:
        self.wait_celery_idle()
        started = time.monotonic()
        answer = self.django(f"bench.db_benchmarks:{function}", **kwargs)
        if answer.get("available") is False:
            self.benchmarks[key] = {"title": title, "available": False, "error": answer.get("error", "")}
            self.say(f"{key}: not available ({answer.get('error')})")
            return
        if answer.get("failed"):
            self.benchmarks[key] = {"title": title, "available": True, "error": answer.get("error", ""), "ok": False}
            return
        figures, other = report.flatten_figures(answer)
        self.benchmarks[key] = {"title": title, "available": True, "figures": figures, "details": other,
                                "wall_seconds": round(time.monotonic() - started, 1)}
        self.say(f"{key}: " + ", ".join(f"{name} {value['median']}" for name, value in figures.items()))

    def bench_pgbench(self) -> None:
        parts = urlsplit(self.pg_url)
        connection = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
                      "-U", parts.username or "postgres"]
        env = {**os.environ, **({"PGPASSWORD": parts.password} if parts.password else {})}
        admin = self.pg()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.pgbench_db}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{self.pgbench_db}"')
        admin.close()
        subprocess.run(["pgbench", "-i", "-q", *connection, self.pgbench_db], env=env, check=True,
                       capture_output=True)
        self.sql("CREATE TABLE bench_insert (id bigserial PRIMARY KEY, aid integer NOT NULL, delta integer NOT NULL, "
                 "created_at timestamptz NOT NULL DEFAULT now())", dbname=self.pgbench_db)
        script = self.work / "pgbench_insert.sql"
        script.write_text("\\set aid random(1, 100000)\n\\set delta random(-5000, 5000)\n"
                          "INSERT INTO bench_insert (aid, delta) VALUES (:aid, :delta);\n")
        tps = []
        for run in range(1, self.args.repeat + 1):
            done = subprocess.run(["pgbench", "-n", "-c", "8", "-j", "2", "-T", str(self.args.duration), "-f",
                                   str(script), *connection, self.pgbench_db], env=env, capture_output=True,
                                  text=True)
            (self.work / f"pgbench-r{run}.out").write_text(done.stdout + done.stderr)
            tps.append(parse_pgbench_tps(done.stdout) if done.returncode == 0 else None)
            self.say(f"pgbench run {run}: {tps[-1]} tps")
        rows = self.sql("SELECT count(*) FROM bench_insert", dbname=self.pgbench_db)[0][0]
        self.benchmarks["pgbench_insert_c8"] = {
            "title": "pgbench: one single-row INSERT per transaction, -c 8 -j 2 (same server)", "available": True,
            "figures": {"tps": summarize(tps)}, "checks": {"rows_inserted": rows}, "ok": None not in tps}

    # --- the whole run -------------------------------------------------------------------------------

    def run(self) -> int:
        args = self.args
        self.work.mkdir(parents=True, exist_ok=True)
        for stale in self.work.glob("*"):
            if stale.is_file():
                stale.unlink()
        http_wanted = any(number in args.only for number in (1, 2, 3))
        if http_wanted:
            self.wrk_binary = wrk.ensure_wrk()
        self.say(f"machine: {self.cores} cores; run {self.run_id}; logs in {self.work}")
        status = 0
        try:
            self.prepare_database()
            self.redis().flushdb()  # the bench's own Redis db: stale tasks and quota counters
            self.fixture = self.django("prepare", seed=args.seed)
            if any(number in args.only for number in (1, 2, 3, 4, 5, 6)):
                self.start_services()
            steps = [
                (1, "ticket_create_c1", lambda: self.benchmarks.__setitem__("ticket_create_c1", self.bench_create(1))),
                (1, "ticket_create_c8", lambda: self.benchmarks.__setitem__("ticket_create_c8", self.bench_create(8))),
                (2, "alert_intake_c8", lambda: self.benchmarks.__setitem__("alert_intake_c8", self.bench_intake())),
                (3, "queue", self.bench_queue),
                (4, "sla_sweep", lambda: self.bench_db(
                    "sla_sweep", "sweep_benchmark", f"SLA sweep at {args.tickets:,} tickets", repeat=args.repeat)),
                (5, "outage_resolve", lambda: self.bench_db(
                    "outage_resolve", "outage_resolve_benchmark",
                    f"Resolving an outage with {args.children:,} children", children=args.children,
                    repeat=min(args.repeat, 3))),
                (7, "pgbench_insert_c8", self.bench_pgbench),
            ]
            for number, key, step in steps:
                if number not in args.only:
                    continue
                try:
                    self.measure_cpu(key, step)
                except Interrupted:
                    raise
                except Exception as error:
                    status = 1
                    traceback.print_exc()
                    self.benchmarks[key] = {"title": key, "available": True, "ok": False,
                                            "error": f"{type(error).__name__}: {error}"[:2000]}
            if self.services:
                self.wait_celery_idle()
        except Interrupted:
            self.say("interrupted: stopping the services")
            status = 130
        finally:
            memory = self.stop_services() if self.services else {}
        if memory and 6 in args.only:
            self.benchmarks["memory"] = {
                "title": "Peak resident memory, sampled every 0.5 s during the runs (VmRSS; VmHWM at the end)",
                "available": True,
                "figures": {f"{kind}_peak_rss_mb": {"median": value["peak_rss_mb"], "min": value["peak_rss_mb"],
                                                    "max": value["peak_rss_mb"], "unit": "MB"}
                            for kind, value in memory.items()},
                "details": memory}
        self.finish()
        return status

    def finish(self) -> None:
        postgresql = redis_version = None
        try:
            postgresql = self.sql("SHOW server_version", dbname="postgres")[0][0]
            redis_version = self.redis().info("server").get("redis_version")
        except Exception:
            pass
        config = {
            "tickets": self.args.tickets, "seed": self.args.seed, "repeat": self.args.repeat,
            "duration_s": self.args.duration, "only": list(self.args.only), "children": self.args.children,
            "gunicorn": {"workers": self.web_workers, "worker_class": "sync", "rule": "2 x cores + 1"},
            "celery": {"concurrency": self.celery_concurrency, "pool": "prefork", "broker": self.redis_url},
            "wrk_threads": self.wrk_threads, "database": self.db_name, "load": self.load_info,
            "settings_module": "itsm.settings",
            "settings_overrides": {"INTEGRATION_THROTTLE_RATE": self.env["INTEGRATION_THROTTLE_RATE"]},
            "environment": {"DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "CONN_MAX_AGE": os.environ.get(
                "CONN_MAX_AGE", "60 (settings default)")},
        }
        document = report.results_document(config=config, machine=report.machine_facts(
            postgresql=postgresql, redis=redis_version), benchmarks=self.benchmarks, cpu=self.cpu_by_step)
        report.write_results(self.args.output, document)
        print()
        print(f"{self.args.tickets:,} tickets (seed {self.args.seed}); {self.args.repeat} runs of "
              f"{self.args.duration} s each; gunicorn {self.web_workers} sync workers, Celery concurrency "
              f"{self.celery_concurrency}, on {self.cores} cores")
        print(report.render_table(document["table"]))
        if self.cpu_by_step:
            print("\nCPU seconds used during each step (all its runs, and the Celery work it left behind):")
            print(report.render_cpu(self.cpu_by_step))
        print(f"\nwritten: {self.args.output}")


def parse_pgbench_tps(output: str) -> float | None:
    """``tps = 1234.567890 (without initial connection time)`` (PostgreSQL 14+; older: ``excluding``)."""
    match = re.search(r"^tps = ([\d.]+) \((?:without initial connection time|excluding connections establishing)\)",
                      output, re.M)
    if not match:
        match = re.search(r"^tps = ([\d.]+)", output, re.M)
    return float(match.group(1)) if match else None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def interrupted(signum, frame):
        raise Interrupted()

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    return Harness(args).run()


if __name__ == "__main__":
    sys.exit(main())
