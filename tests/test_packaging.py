"""What ships besides the code: the compose stack, the image, the production checks, the README."""

import ast
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ["web", "worker", "beat"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _settings_env_vars() -> set[str]:
    """Every environment variable itsm/settings.py reads, found in its source.

    Reads are ``env("X")``, ``env.<cast>("X")``, ``environ.Env().<cast>("X")``, the keyword
    schema given to ``environ.Env(X=(cast, default))``, and ``os.environ`` / ``os.getenv``.
    """
    names = set()
    for node in ast.walk(ast.parse((ROOT / "itsm" / "settings.py").read_text())):
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            if isinstance(node.slice, ast.Constant):
                names.add(node.slice.value)
            continue
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        target = func.value if isinstance(func, ast.Attribute) else func
        reads_env = (
            (isinstance(target, ast.Name) and target.id == "env")
            or (isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute) and target.func.attr == "Env")
            or ast.unparse(func) in {"os.getenv", "os.environ.get", "os.environ.setdefault"}
        )
        if reads_env and node.args and isinstance(node.args[0], ast.Constant):
            names.add(node.args[0].value)
        if isinstance(func, ast.Attribute) and func.attr == "Env":
            names.update(keyword.arg for keyword in node.keywords)
    return names


def test_settings_parser_finds_the_known_variables():
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "ITSM_VAR_DIR", "LOG_LEVEL",
            "SECURE_HSTS_SECONDS", "ATTACHMENT_ALLOWED_TYPES"} <= _settings_env_vars()


def test_readme_configuration_table_lists_every_variable_settings_reads():
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", readme, flags=re.MULTILINE))
    assert _settings_env_vars() - documented == set()


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme


def test_compose_has_the_services_with_one_shared_environment(compose):
    services = compose["services"]
    assert {"db", "redis", *APP_SERVICES} <= set(services)
    environments = [services[name]["environment"] for name in APP_SERVICES]
    assert all(env == environments[0] for env in environments)
    env = environments[0]
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL"} <= set(env)
    assert env["DEBUG"] == "0"
    assert "${SECRET_KEY:?" in env["SECRET_KEY"]  # required, never defaulted
    assert set(env) - _settings_env_vars() == set()  # no variable that settings would ignore


def test_compose_starts_the_app_only_once_db_and_redis_are_healthy(compose):
    services = compose["services"]
    for name in ("db", "redis"):
        assert services[name]["healthcheck"]["test"]
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
    assert services["migrate"]["command"][-3:] == ["manage.py", "migrate", "--noinput"]
    assert "gunicorn" in services["web"]["command"] and "itsm.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "itsm", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "itsm", "beat"]


def test_dockerfile_runs_gunicorn_as_a_non_root_user_with_static_files_built_in():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert re.search(r"^USER itsm$", dockerfile, flags=re.MULTILINE)
    assert dockerfile.index("USER itsm") < dockerfile.index("collectstatic")
    assert '"gunicorn", "itsm.wsgi:application"' in dockerfile


def test_deploy_check_passes_with_production_environment(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in {"SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"}}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="itsm.example.edu",
               ITSM_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
