"""Real Celery worker processes for tests: on the configured broker, against the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings
from django.db import connection
from kombu import Exchange, Queue

from itsm.celery import app


def test_database_url() -> str:
    """DATABASE_URL for the database this test runs in (pytest-django's test database)."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(name).resolve()}"
    configured = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(configured._replace(path="/" + quote(name)))


test_database_url.__test__ = False  # a helper, not a test


def delete_queue(name: str) -> None:
    """Remove a test's queue and its binding from the broker."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        bound = Queue(name, Exchange(name), routing_key=name)(channel)
        bound.declare()
        bound.delete()
        # kombu's filesystem transport keeps one file per exchange, emptied but not removed.
        control_folder = getattr(channel, "control_folder", None)
        if control_folder is not None:
            (Path(control_folder) / f"{name}.exchange").unlink(missing_ok=True)


@contextmanager
def tasks_sent_to(queue: str) -> Iterator[None]:
    """Send every task to ``queue``, a test worker's own, whatever the project's routes say.

    Celery builds its router once from ``task_routes``; it is rebuilt on the way in and on the way out.
    """
    saved = app.conf.task_default_queue, app.conf.task_routes
    app.conf.task_default_queue, app.conf.task_routes = queue, {"*": {"queue": queue}}
    _rebuild_router()
    try:
        yield
    finally:
        app.conf.task_default_queue, app.conf.task_routes = saved
        _rebuild_router()


def _rebuild_router() -> None:
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)


class Worker:
    def __init__(self, queue: str, log_path: Path, env: dict[str, str]) -> None:
        self.queue, self.log_path = queue, log_path
        with log_path.open("a") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "itsm", "worker", "--pool", "solo", "--concurrency", "1",
                 "-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "-l", "info"],
                cwd=settings.BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
            )

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no acknowledgements, as when a machine dies."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def worker_process(queue: str, log_path: Path, **env: str) -> Iterator[Worker]:
    worker = Worker(queue, log_path, {**os.environ, "DATABASE_URL": test_database_url(), "PYTHONUNBUFFERED": "1",
                                      **env})
    try:
        yield worker
    finally:
        worker.stop()
