import pytest

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_role_lands_on_its_home(page, customer, technician, dispatcher):
    sign_in(page, customer)
    assert page.url.endswith("/portal/")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, dispatcher)
    assert page.url.endswith("/queues/service-desk/")  # one group: straight to its board
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, technician)
    assert page.url.endswith("/work/")


def test_a_wrong_password_is_explained_in_place_and_keeps_the_username(page, customer):
    sign_in(page, customer, password="not-the-password")
    assert page.title().startswith("Error:")
    summary = page.locator("[data-error-summary]")
    assert "There is a problem" in summary.inner_text()
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert page.get_by_label("Username").input_value() == customer.username
