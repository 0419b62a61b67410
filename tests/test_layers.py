"""The request layer stays in routes and schemas, and tests share helpers through fixtures:
checked on the source, so that a later change cannot quietly undo it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Every module of a feature package but its routes and schemas: services and their kin
# (alerts/commands.py, views.py, jobs.py, dispatch/offers.py, ...).
SERVICES = sorted(p for p in (ROOT / "safety").glob("*/*.py")
                  if p.name not in ("routes.py", "schemas.py", "__init__.py"))
# What only the request layer may use: who is asking (the token) and the request itself.
REQUEST_NAMES = {"get_jwt", "get_jwt_identity", "current_user", "get_current_user",
                 "verify_jwt_in_request", "request", "me"}


def _imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return names


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_services_do_not_read_the_request(path):
    assert not (_imported_names(path) & REQUEST_NAMES), (
        "a service takes plain values (the user, the session id): the view reads the request")


def test_test_modules_share_helpers_through_fixtures():
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for name in _imported_names(path):
            assert not name.startswith(("tests.conftest", "tests.test_")), (path.name, name)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module != "tests.conftest" and \
                    not node.module.startswith("tests.test_"), (path.name, node.module)
