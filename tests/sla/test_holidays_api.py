import pytest

from sla.models import Holiday


def test_administrator_adds_a_holiday_to_the_default_calendar(api, admin_user):
    response = api(admin_user).post("/api/v1/calendar/holidays/", {"date": "2026-11-26", "name": "Thanksgiving"},
                                    format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {"id": response.json()["id"], "calendar": "business-hours", "date": "2026-11-26",
                               "name": "Thanksgiving"}
    assert Holiday.objects.get().calendar.is_default


def test_duplicate_date_is_a_400(api, admin_user):
    client = api(admin_user)
    client.post("/api/v1/calendar/holidays/", {"date": "2026-12-25", "name": "Christmas"}, format="json")
    response = client.post("/api/v1/calendar/holidays/", {"date": "2026-12-25", "name": "Again"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert Holiday.objects.count() == 1


@pytest.mark.parametrize("payload, field", [({"date": "2026-13-01", "name": "x"}, "date"),
                                            ({"date": "2026-12-31"}, "name")])
def test_bad_input_is_a_400_naming_the_field(api, admin_user, payload, field):
    response = api(admin_user).post("/api/v1/calendar/holidays/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_staff_read_but_do_not_write(api, admin_user, technician):
    api(admin_user).post("/api/v1/calendar/holidays/", {"date": "2026-07-03", "name": "Independence Day"},
                         format="json")
    assert [h["name"] for h in api(technician).get("/api/v1/calendar/holidays/").json()] == ["Independence Day"]
    response = api(technician).post("/api/v1/calendar/holidays/", {"date": "2026-07-04", "name": "x"}, format="json")
    assert response.status_code == 403
    assert Holiday.objects.count() == 1


def test_customers_cannot_read_calendars(api, customer):
    assert api(customer).get("/api/v1/calendar/holidays/").status_code == 403
