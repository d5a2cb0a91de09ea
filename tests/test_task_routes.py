"""Each kind of background work has a queue of its own, and every way of starting a worker consumes them all."""

import re
from pathlib import Path

import yaml
from django.conf import settings

from itsm.celery import app

ROOT = Path(__file__).resolve().parent.parent


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_mail_intake_and_sla_work_go_to_their_own_queues():
    assert queue_of("tickets.send_notifications") == queue_of("tickets.relay_notifications") == "notifications"
    assert queue_of("tickets.send_notification") == "notifications"
    assert queue_of("tickets.retry_inbound_events") == queue_of("tickets.poll_imap") == "intake"
    assert queue_of("sla.sweep") == queue_of("sla.reevaluate_operating_hours") == "sla"
    assert queue_of("outages.remind_updates") == "sla"
    assert queue_of("tickets.close_resolved") == queue_of("tickets.follow_up_wait_customer") == "sla"


def test_the_lifecycle_automation_runs_in_beat_under_stable_names():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["tickets.close_resolved"] == schedule["tickets.follow_up_wait_customer"] == 300.0
    app.loader.import_default_modules()
    assert {"tickets.close_resolved", "tickets.follow_up_wait_customer"} <= set(app.tasks)


def test_every_project_task_is_routed_to_a_queue_a_worker_consumes():
    app.loader.import_default_modules()
    ours = [name for name in app.tasks if name.split(".")[0] in {"tickets", "sla", "outages"}]
    assert len(ours) >= 7
    for name in ours:
        assert queue_of(name) in settings.WORKER_QUEUES, name


def test_the_development_compose_and_bench_workers_consume_every_queue():
    wanted = ",".join(settings.WORKER_QUEUES)
    run_dev = (ROOT / "scripts" / "run-dev.sh").read_text()
    assert re.search(rf"celery\" -A itsm worker .*-Q {wanted}\b", run_dev)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["worker"]["command"]
    assert command[command.index("-Q") + 1] == wanted
    bench = (ROOT / "bench" / "run.py").read_text()
    assert f'"-Q", "{wanted}"' in bench
    # Exactly one scheduler: beat runs once, in its own service.
    assert sum(1 for service in compose["services"].values() if "beat" in service.get("command", [])) == 1
