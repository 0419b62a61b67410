"""The OpenAPI document as integrators use it: its operationIds are the contract's names, a
maintained linter (Redocly CLI) finds no error in it, and a client generated from it
(openapi-python-client) works: typed models for answers and for errors.

The document does not depend on the database (tests/apidoc.py reads it from an app on
SQLite, and the served one is the same on PostGIS): it is linted and a client generated from
it once per run, and the generated client's journey runs against the app on SQLite only.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.apidoc import operations, served_document

ROOT = Path(__file__).resolve().parent.parent
API_NOTES = ROOT / "docs" / "api-notes.md"
LINT_TOOLS = ROOT / "tools" / "openapi-lint"
REDOCLY = LINT_TOOLS / "node_modules" / ".bin" / "redocly"


# -- operationIds --------------------------------------------------------------------------------


def _documented_operation_ids() -> dict[str, tuple[str, str]]:
    """operationId -> (METHOD, path) from docs/api-notes.md's table (the committed list)."""
    text = API_NOTES.read_text()
    section = text.split("## Operation ids and errors", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| `(GET|POST|PUT|PATCH|DELETE) ([^`]+)` \|", section, re.M)
    return {op_id: (method, "/api/v1" + path) for op_id, method, path in rows}


def test_every_operation_has_a_unique_readable_operation_id():
    ids = [op.get("operationId") for _method, _path, op in operations()]
    assert all(ids), [(m, p) for m, p, op in operations() if not op.get("operationId")]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(re.fullmatch(r"[a-z][A-Za-z]{2,40}", i) for i in ids), ids


def test_operation_ids_are_the_ones_docs_api_notes_lists():
    """A rename breaks every generated client: it must be made in docs/api-notes.md too."""
    served = {op["operationId"]: (method, path) for method, path, op in operations()}
    assert served == _documented_operation_ids()


def test_no_parameter_is_nullable_and_no_enum_lists_null():
    doc = json.dumps(served_document())
    assert '"nullable"' not in doc  # OpenAPI 3.1: null is a type
    for _method, _path, op in operations():
        for parameter in op.get("parameters", []):
            schema = parameter["schema"]
            assert "null" not in json.dumps(schema.get("type", "")), parameter
            assert schema.get("default", "") is not None, parameter
            assert None not in schema.get("enum", []), parameter


# -- Redocly CLI ---------------------------------------------------------------------------------


def _kept_warnings() -> set[str]:
    """Rules tools/openapi-lint/redocly.yaml sets to `warn`: the warnings we keep, each with
    its reason written above it."""
    config = (LINT_TOOLS / "redocly.yaml").read_text()
    return set(re.findall(r"^  ([\w.-]+): warn\b", config, re.M))


def test_redocly_finds_no_error_and_only_the_kept_warnings(tmp_path):
    if not REDOCLY.exists():
        pytest.fail("Redocly CLI is not installed: `make install-test` runs npm ci in "
                    "tools/openapi-lint")
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(served_document()))
    run = subprocess.run(
        [str(REDOCLY), "lint", str(document), "--config", str(LINT_TOOLS / "redocly.yaml"),
         "--format=json"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "HOME": str(tmp_path), "REDOCLY_TELEMETRY": "off",
             "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"})
    report = json.loads(run.stdout)
    problems = [(p["ruleId"], p["severity"], p["message"]) for p in report["problems"]]
    assert report["totals"]["errors"] == 0, problems
    assert {rule for rule, severity, _ in problems if severity == "warn"} <= _kept_warnings(), \
        problems
    assert run.returncode == 0, run.stderr


# -- a generated client --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client_package(tmp_path_factory):
    """The package openapi-python-client generates from the served document (once), imported;
    removed from sys.modules and sys.path afterwards."""
    out = tmp_path_factory.mktemp("generated")
    (out / "openapi.json").write_text(json.dumps(served_document()))
    (out / "config.json").write_text(json.dumps({
        "project_name_override": "safety_client", "package_name_override": "safety_client",
        "post_hooks": []}))
    generator = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    run = subprocess.run(
        [generator, "generate", "--path", "openapi.json", "--output-path", "safety_client",
         "--meta", "none", "--config", "config.json"],
        capture_output=True, text=True, timeout=120, cwd=out)
    assert run.returncode == 0, run.stdout + run.stderr
    # Every schema and operation became code: the generator skipped nothing.
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("safety_client")
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == "safety_client"
                     or m.startswith("safety_client.")]:
            del sys.modules[name]


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_a_generated_client_raises_and_reads_an_alert(
        app, served, client_package, make_person, admin, create_org, add_member, on_duty):
    """Login, panic, a responder accepts, read the alert; a 422 and a 404: each answer comes
    back as the typed model the document names (the nested dispatch and location too), the
    errors as the typed Problem."""
    sc = client_package
    api = importlib.import_module("safety_client.api.accounts.login")
    raise_alert = importlib.import_module("safety_client.api.alerts.raise_alert")
    get_alert = importlib.import_module("safety_client.api.alerts.get_alert")
    list_offers = importlib.import_module("safety_client.api.dispatch.list_offers")
    accept = importlib.import_module("safety_client.api.dispatch.accept_dispatch")
    models = sc.models

    her = make_person(name="Aigerim", pin="1234")
    org = create_org(admin)
    responder = make_person(name="Responder")
    add_member(admin, org["id"], responder, "responder")
    on_duty(responder, 300)

    anonymous = sc.Client(base_url=served, raise_on_unexpected_status=True)
    tokens = api.sync(client=anonymous, body=models.Login(phone=her.phone,
                                                           password=her.password))
    assert isinstance(tokens, models.Tokens) and isinstance(tokens.user, models.User)
    assert tokens.user.has_pin is True and tokens.user.phone == her.phone
    she = sc.AuthenticatedClient(base_url=served, token=tokens.access_token,
                                 raise_on_unexpected_status=True)

    raised = raise_alert.sync_detailed(client=she, body=models.RaiseAlert(
        client_id=uuid.uuid4(), trigger=models.RaiseAlertTrigger.BUTTON,
        location=models.Location(lat=43.2383, lon=76.9453, accuracy_m=12.0)))
    assert raised.status_code == 201
    alert = raised.parsed
    assert isinstance(alert, models.Alert) and alert.status == "active"
    assert isinstance(alert.location, models.PointOut) and alert.location.lat == 43.2383
    assert isinstance(alert.dispatch, models.DispatchBrief)
    assert alert.dispatch.status == "offering" and alert.dispatch.responder is None

    staff = sc.AuthenticatedClient(base_url=served, token=responder.headers[
        "Authorization"].removeprefix("Bearer "), raise_on_unexpected_status=True)
    offer = list_offers.sync(client=staff).items[0]
    assert isinstance(offer, models.Offer) and offer.alert_id == alert.id
    assert isinstance(accept.sync(dispatch_id=offer.dispatch_id, client=staff),
                      models.Dispatch)

    read = get_alert.sync(alert_id=alert.id, client=she)
    assert isinstance(read, models.Alert) and read.id == alert.id
    assert isinstance(read.dispatch, models.DispatchBrief) and read.dispatch.status == "accepted"
    assert isinstance(read.dispatch.responder, models.ResponderBrief)
    assert read.dispatch.responder.first_name == "Responder"
    assert isinstance(read.location, models.PointOut)

    invalid = raise_alert.sync_detailed(client=she, body=models.RaiseAlert(
        client_id=uuid.uuid4(), trigger=models.RaiseAlertTrigger.BUTTON,
        location=models.Location(lat=91.0, lon=76.9453)))
    assert invalid.status_code == 422
    problem = invalid.parsed
    assert isinstance(problem, models.Problem) and problem.status == 422
    assert problem.title == "Unprocessable Entity" and problem.detail
    assert isinstance(problem.errors, models.ProblemErrors)
    assert "lat" in problem.errors.to_dict()["location"]

    missing = get_alert.sync_detailed(alert_id=uuid.uuid4(), client=she)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Problem)
    assert (missing.parsed.status, missing.parsed.title) == (404, "Not Found")
    assert missing.parsed.detail
