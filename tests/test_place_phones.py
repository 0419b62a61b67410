"""A place's phones: short national codes and any number possible for KZ are accepted."""

import pytest

PLACE = {"name": "Police station", "kind": "police", "address": "Abay Ave 1, Almaty",
         "lat": 43.26, "lon": 76.93}


@pytest.mark.parametrize("given, stored", [
    ("102", "102"), ("1414", "1414"), ("112", "112"), ("150", "150"),
    ("+7 727 250 00 00", "+77272500000"),
    ("8 (727) 123-45-67", "+77271234567"),  # possible for KZ, unknown to the validity tables
    ("+7 701 123 4567", "+77011234567"),
])
def test_short_codes_and_possible_numbers(admin, given, stored):
    r = admin.post("/api/v1/help/places", json={**PLACE, "phones": [given]})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["phones"] == [stored]


@pytest.mark.parametrize("given", ["12", "00", "999999", "+7 727 21 70 70", "call 102",
                                   "+7 701 FLOWERS"])
def test_what_cannot_be_a_number_is_refused(admin, given):
    r = admin.post("/api/v1/help/places", json={**PLACE, "phones": [given]})
    assert r.status_code == 422, r.get_json()
    assert "phones" in r.get_json()["errors"]


def test_the_csv_import_takes_them_too(admin):
    import io

    text = ("name,kind,address,lat,lon,phones\n"
            "Police (city),police,Almaty,43.25,76.92,102;+7 727 123 45 67\n")
    r = admin.post("/api/v1/help/places/import", data={
        "file": (io.BytesIO(text.encode()), "places.csv", "text/csv")},
        content_type="multipart/form-data")
    assert r.status_code == 200, r.get_json()
    assert [row["status"] for row in r.get_json()["rows"]] == ["accepted"], r.get_json()
