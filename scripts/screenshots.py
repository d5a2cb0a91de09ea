"""Screenshots of each role's main page with the demo data: ``make screenshots`` (README shows them).

Runs on a throwaway SQLite database and var folder, so a developer's data is untouched: migrate,
load the demo data, start the development server on a free port, sign in as each demo user in the
system Chromium, and save one PNG per page.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
# (file name, user, password, path)
PAGES = [
    ("customer-portal", "customer", "demo-customer-2026", "/portal/"),
    ("technician-my-work", "technician", "demo-technician-2026", "/work/"),
    ("technician-ticket", "technician", "demo-technician-2026", "first-ticket"),
    ("dispatcher-queue", "dispatcher", "demo-dispatcher-2026", "/queues/"),
    ("service-desk-intake", "technician", "demo-technician-2026", "/desk/"),
    ("incident-manager-console", "incident-manager", "demo-incident-manager-2026", "first-outage"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the development server did not answer at {url}")


def main(out_dir: str) -> None:
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    var = Path(tempfile.mkdtemp(prefix="itsm-screens-"))
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DEBUG="1", ITSM_VAR_DIR=str(var), CELERY_TASK_ALWAYS_EAGER="1")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([*manage, "seed_demo"], env=env, check=True)
    port = free_port()
    server = subprocess.Popen([*manage, "runserver", f"127.0.0.1:{port}", "--noreload"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/accounts/login/")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM") or shutil.which("chromium"),
                args=["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync"])
            for name, username, password, path in PAGES:
                context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 860})
                page = context.new_page()
                page.goto("/accounts/login/")
                page.get_by_label("Username").fill(username)
                page.get_by_label("Password").fill(password)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state("networkidle")
                if path == "first-ticket":
                    page.goto("/work/groups/service-desk/")
                    page.locator("a[data-open]").first.click()
                elif path == "first-outage":
                    page.goto("/outages/")
                    page.locator("main table a").first.click()
                else:
                    page.goto(path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out / f"{name}.png"), full_page=False)
                print(f"saved {out / f'{name}.png'}")
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
