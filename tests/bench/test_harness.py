"""The benchmark harness's pure pieces: statistics, wrk's output, the Lua it writes, results.json."""

import json
import os
import time

import pytest

from bench import report, wrk
from bench.run import parse_only, parse_pgbench_tps
from bench.stats import percentile, summarize

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:51591
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.13ms    2.38ms   1.02s    86.07%
    Req/Sec     1.01k   116.06     1.41k    76.67%
  Latency Distribution
     50%  812.00us
     75%    4.53ms
     90%    6.45ms
     99%    1.20s
  6068 requests in 3.01s, 1.92MB read
  Non-2xx or 3xx responses: 12
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:   2016.18
Transfer/sec:    651.71KB
"""


class TestStats:
    def test_percentile_interpolates_between_ranks(self):
        assert percentile([1, 2, 3, 4], 0.5) == 2.5
        assert percentile([10], 0.99) == 10
        assert percentile(range(1, 101), 0.99) == pytest.approx(99.01)
        assert percentile([5, 1, 3], 0) == 1 and percentile([5, 1, 3], 1) == 5

    def test_percentile_refuses_nonsense(self):
        with pytest.raises(ValueError):
            percentile([], 0.5)
        with pytest.raises(ValueError):
            percentile([1], 1.5)

    def test_summarize_is_median_min_max_over_runs_skipping_failed_ones(self):
        assert summarize([3.0, 1.0, 2.0, 10.0]) == {"median": 2.5, "min": 1.0, "max": 10.0,
                                                    "runs": [3.0, 1.0, 2.0, 10.0]}
        assert summarize([1.0, None, 5.0])["median"] == 3.0
        assert summarize([None]) == {"median": None, "min": None, "max": None, "runs": [None]}


class TestWrkOutput:
    def test_durations_in_every_unit(self):
        assert wrk.duration_ms("812.00us") == pytest.approx(0.812)
        assert wrk.duration_ms("3.5ms") == 3.5
        assert wrk.duration_ms("1.20s") == 1200
        assert wrk.duration_ms("1.5m") == 90_000
        with pytest.raises(ValueError):
            wrk.duration_ms("fast")

    def test_the_latency_text_alone(self):
        result = wrk.parse_latency_output(WRK_OUTPUT)
        assert result.requests == 6068 and result.duration_s == pytest.approx(3.01)
        assert result.requests_per_s == pytest.approx(6068 / 3.01)
        assert result.latency_ms == {"50": pytest.approx(0.812), "75": 4.53, "90": 6.45, "99": 1200, "max": 1020}
        assert result.non_2xx_3xx == 12
        assert result.socket_errors == {"connect": 0, "read": 1, "write": 0, "timeout": 2}
        assert result.errors == 15  # no Lua counters: wrk's own non-2xx count plus socket errors

    def test_the_scripts_summary_line_wins(self):
        line = ('WRK_JSON {"requests": 6000, "duration_us": 3000000, "latency_us": {"50": 900, "75": 4000, '
                '"90": 6000, "99": 12345, "max": 20000}, "socket_errors": {"connect": 0, "read": 0, "write": 0, '
                '"timeout": 0}, "statuses": {"201": 5990, "302": 10}}')
        result = wrk.parse_latency_output(WRK_OUTPUT + line + "\n")
        assert result.requests == 6000 and result.requests_per_s == 2000
        assert result.latency_ms["99"] == pytest.approx(12.345)
        assert result.statuses == {"201": 5990, "302": 10}
        assert result.ok_2xx == 5990
        assert result.errors == 10 + 3  # a redirect is not a success here, and socket errors count

    def test_output_without_a_summary_is_refused(self):
        with pytest.raises(ValueError):
            wrk.parse_latency_output("unable to connect to 127.0.0.1:1 Connection refused\n")


class TestLua:
    def test_long_strings_survive_brackets(self):
        assert wrk.lua_string("a]]b") == "[=[a]]b]=]"
        assert wrk.lua_string("plain") == "[[plain]]"

    def test_header_tables_never_open_a_long_string_by_accident(self):
        script = wrk.get_script("/x/", {"Authorization": "Bearer k"})
        assert "[[[" not in script and "[ [[Authorization]] ] = [[Bearer k]]" in script

    def test_post_and_alert_scripts_substitute_per_request(self):
        post = wrk.post_script("/api/v1/tickets/", {}, '{"title": "bench @N@"}')
        assert 'string.gsub(template, "@N@", n)' in post and "counter = counter + 1" in post
        alert = wrk.alert_script("/a/", {}, "@KEY@", hot_keys=20, new_every=10)
        assert "counter % 10 == 0" in alert and "% 20)" in alert
        for script in (post, alert):
            assert "function done(summary, latency, requests)" in script and "WRK_JSON" in script


class TestOptions:
    def test_only(self):
        assert parse_only("7,1,2,2") == (1, 2, 7)
        for bad in ("", "0", "8", "a"):
            with pytest.raises(Exception):  # noqa: B017 - argparse.ArgumentTypeError
                parse_only(bad)

    def test_pgbench_tps(self):
        assert parse_pgbench_tps("latency average = 3.3 ms\ntps = 2376.173175 (without initial connection time)\n") \
            == pytest.approx(2376.173175)
        assert parse_pgbench_tps("tps = 12.5 (excluding connections establishing)\n") == 12.5
        assert parse_pgbench_tps("error") is None


class TestResults:
    def test_nested_database_figures_are_flattened(self):
        figures, other = report.flatten_figures({
            "none_due": {"seconds": {"median": 0.004, "min": 0.003, "max": 0.01}, "examined": 0},
            "one_percent_due": {"due_per_s": {"median": 9000, "min": 8000, "max": 9500}},
        })
        assert set(figures) == {"none_due.seconds", "one_percent_due.due_per_s"}
        assert other == {"none_due.examined": 0}

    def test_targets_and_met(self):
        assert report.target_for("ticket_create_c8", "p99_ms")[:2] == ("<", 40)
        assert report.target_for("ticket_create_c1", "p99_ms") is None
        assert report.target_for("sla_sweep", "none_due.seconds")[:2] == ("<", 0.020)
        assert report.target_for("sla_sweep", "one_percent_due.due_per_s")[:2] == (">=", 5000)
        assert report.target_for("sla_sweep", "none_due.due_per_s") is None
        assert report.met(401, (">=", 400, "")) is True
        assert report.met(40, ("<", 40, "")) is False
        assert report.met(None, ("<", 40, "")) is None

    def test_document_shape_and_table(self):
        benchmarks = {
            "ticket_create_c8": {"title": "t", "available": True, "ok": True, "figures": {
                "requests_per_s": summarize([450.0, 420.0]), "p99_ms": summarize([35.0, 45.0])}},
            "sla_sweep": {"title": "s", "available": False, "error": "ModuleNotFoundError"},
        }
        document = report.results_document(config={"tickets": 10}, machine={"cores": 2}, benchmarks=benchmarks)
        assert set(document) == {"schema", "generated_at", "config", "machine", "benchmarks", "table", "cpu_by_step"}
        assert document["generated_at"].endswith("Z")
        rows = {(row["benchmark"], row["figure"]): row for row in document["table"]}
        assert rows[("ticket_create_c8", "requests_per_s")]["met"] is True
        assert rows[("ticket_create_c8", "p99_ms")]["met"] is False  # the median of 35 and 45 is 40: not < 40
        assert rows[("ticket_create_c8", "requests_per_s")]["unit"] == "/s"
        assert rows[("ticket_create_c8", "checks")]["met"] is True
        assert rows[("sla_sweep", "(not available)")]["median"] is None
        json.dumps(document)
        table = report.render_table(document["table"])
        assert "ticket_create_c8" in table and "(not available)" in table

    def test_machine_facts(self):
        facts = report.machine_facts(postgresql="15.2", redis="7.0")
        assert facts["cores"] >= 1 and facts["memory_mb"] > 0 and facts["python"].count(".") == 2
        assert facts["postgresql"] == "15.2" and facts["django"].startswith("5.")


class TestCpuAccounting:
    def test_a_busy_process_is_charged_its_cpu_and_a_gone_one_nothing(self):
        from bench import procs

        meter = procs.CpuMeter({"me": lambda: [os.getpid()], "nobody": lambda: [2 ** 22 + 7]})
        meter.start()
        deadline = time.process_time() + 0.3
        while time.process_time() < deadline:  # burn 0.3 s of CPU in this process
            pass
        used = meter.stop()

        assert used["cpu_s"]["me"] >= 0.25
        assert used["cpu_s"]["nobody"] == 0
        assert used["cpu_s"]["harness"] >= 0 and used["wall_s"] >= 0.2

    def test_the_cpu_lines_put_the_largest_user_first(self):
        text = report.render_cpu({"ticket_create_c8": {"wall_s": 31.0, "cpu_s": {"web": 18.5, "celery": 9.75,
                                                                                  "postgres": 3.4, "harness": 0.4}}})
        assert text.strip().startswith("ticket_create_c8")
        assert "32.0 s CPU: web 18.5, celery 9.8, postgres 3.4, harness 0.4" in text
