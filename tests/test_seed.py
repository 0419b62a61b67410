

def test_seed_demo_is_idempotent_and_makes_a_working_world(app, client, drain, jobs):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["safety", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert "+77010000002" in first.output
    again = runner.invoke(args=["safety", "seed-demo"])
    assert again.exit_code == 0, again.output
    tokens = client.post("/api/v1/auth/login", json={"phone": "+77010000002",
                                                      "password": "demo-password-1"}).get_json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    contacts = client.get("/api/v1/me/contacts", headers=headers).get_json()["items"]
    assert len(contacts) == 2 and all(c["is_guardian"] for c in contacts)
    r = client.post("/api/v1/alerts", headers=headers, json={
        "client_id": "6f1c1f4e-8a57-4d53-9d3a-5a2b7b2c9f10", "trigger": "button",
        "location": {"lat": 43.25, "lon": 76.92}})
    assert r.status_code == 201
    assert r.get_json()["dispatch"]["status"] == "offering"
    assert len(jobs(app, kind="alert")) == 2  # her two guardians' demo phones
    assert len(jobs(app, kind="dispatch_offer")) == 2  # the demo responders within 5 km
    drain(app)
    assert {j.status for j in jobs(app, kind="alert")} == {"sent"}
