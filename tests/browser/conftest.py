"""Browser tests: Debian's Chromium driven by Playwright against a live test server.

Playwright's own browser download is not used (it needs hosts this network does not reach); the
system browser is. ``scripts/ensure-chromium.sh`` installs it, and ``make test`` and CI run that.
"""

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
PASSWORD = "pw-for-tests-only"
# Reports every Content-Security-Policy violation of every document the context opens to Python: the
# browser fires securitypolicyviolation for a blocked script, style, eval (htmx's hx-on and trigger
# filters are eval), image or connection, and then refuses it.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.itsmCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"} on ${location.pathname}`
    + ` (${event.sourceFile || "document"}:${event.lineNumber}) ${event.sample || ""}`.trim());
});
"""


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is not installed: run scripts/ensure-chromium.sh (Debian packages chromium, "
                    "chromium-driver), or set CHROMIUM to a Chromium executable.", pytrace=False)
    return path


@pytest.fixture(scope="session")
def live_server(live_server):
    """The live server over plain http: production settings would redirect the browser to https.

    The middleware chain is built once when the server thread starts, so it is rebuilt here with
    the redirect off, leaving the settings every other test sees untouched.
    """
    from django.test.utils import override_settings

    handler = live_server.thread.httpd.get_app()  # static files → media files → Django, each a WSGIHandler
    with override_settings(SECURE_SSL_REDIRECT=False, SECURE_HSTS_SECONDS=0):
        while handler is not None:
            handler.load_middleware()
            handler = getattr(handler, "application", None)
    return live_server


@pytest.fixture(scope="package")
def browser(_orm_beside_playwright):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="package", autouse=True)
def _orm_beside_playwright():
    # While Playwright's sync API is open, this thread runs inside its event loop, and Django's guard
    # against ORM calls from async code would trip although the test code is synchronous. The browser
    # and this setting live for this package only, so neither leaks into the rest of the run (a deploy
    # check there refuses the variable).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def csp_violations() -> list[str]:
    """The policy violations seen by any page of the test; a test with one fails (see the hook below)."""
    return []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    # After the test body: every browser walk-through also proves the Content-Security-Policy holds.
    result = yield
    violations = item.funcargs.get("csp_violations")
    if violations:
        raise AssertionError("Content-Security-Policy violations:\n" + "\n".join(violations))
    return result


@pytest.fixture
def new_page(browser, live_server, csp_violations):
    """Open a fresh browser context (own cookies) on the live server; several may be open at once."""
    contexts = []

    def open_page(width: int = 1280, height: int = 900):
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height},
                                      locale="en-US", timezone_id="America/New_York")
        context.set_default_timeout(10_000)
        context.expose_binding("itsmCspViolation", lambda source, report: csp_violations.append(report))
        context.add_init_script(CSP_LISTENER)
        contexts.append(context)
        page = context.new_page()
        # Chromium also writes each refusal to the console, including those of workers the listener misses.
        page.on("console", lambda message: csp_violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def sign_in(page, user, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would, and wait for the role's home page."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
