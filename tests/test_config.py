"""Production settings are checked when the app starts, and a wrong one stops it with one
clear line; the instance folder and a SQLite URL given by hand are used as documented."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from safety import create_app
from safety.config import SQLITE_URL_PARAMS, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {"SAFETY_ENV": "production", "SECRET_KEY": "k" * 48,
              "PUBLIC_BASE_URL": "https://safety.example.kz"}


def _run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    keep = {k: v for k, v in os.environ.items()
            if k in ("PATH", "HOME", "LANG", "LC_ALL", "VIRTUAL_ENV")}
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**keep, "SAFETY_INSTANCE_PATH": str(tmp_path), **env})


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@pytest.mark.parametrize("command", ["flask", "gunicorn"])
def test_production_without_secret_key_is_one_clear_line(tmp_path, command):
    args = ([_bin("flask"), "--app", "wsgi", "db", "current"] if command == "flask" else
            [_bin("gunicorn"), "-w", "2", "-b", "127.0.0.1:0", "wsgi:app"])
    done = _run(args, {"SAFETY_ENV": "production"}, tmp_path)
    assert done.returncode == 4, done
    lines = done.stderr.strip().splitlines()
    assert lines == ["safety: configuration error: SECRET_KEY must be set in production"], \
        done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_a_wrong_production_setting_stops_the_app_factory_too(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(env={"SAFETY_ENV": "production", "SECRET_KEY": "",
                        "SAFETY_INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize("base", [None, "", "http://127.0.0.1:5000", "http://127.0.1.1:8000/",
                                  "http://localhost:8000", "https://localhost",
                                  "http://0.0.0.0:5000", "http://[::1]:5000", "not a url"])
def test_production_refuses_a_base_url_nobody_can_reach(tmp_path, base):
    env = dict(PRODUCTION)
    if base is None:
        del env["PUBLIC_BASE_URL"]
    else:
        env["PUBLIC_BASE_URL"] = base
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_config(env, instance_path=str(tmp_path))


def test_production_takes_a_public_base_url(tmp_path):
    cfg = load_config({**PRODUCTION, "PUBLIC_BASE_URL": "https://safety.example.kz/"},
                      instance_path=str(tmp_path))
    assert cfg["PUBLIC_BASE_URL"] == "https://safety.example.kz"


def test_development_keeps_the_local_default(tmp_path):
    cfg = load_config({"SAFETY_ENV": "development"}, instance_path=str(tmp_path))
    assert cfg["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


def test_safety_instance_path_is_the_apps_instance_folder(tmp_path):
    where = tmp_path / "inst"
    app = create_app(env={"SAFETY_ENV": "development", "SAFETY_INSTANCE_PATH": str(where),
                          "DATABASE_URL": "", "SECRET_KEY": "", "RUN_WORKER_IN_PROCESS": "0"})
    assert app.instance_path == str(where)
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith(f"sqlite:///{where}/safety.db?")
    assert (where / "secret_key").read_text().strip() == app.config["SECRET_KEY"]


def test_a_sqlite_url_given_by_hand_gets_the_spatialite_options(tmp_path):
    url = f"sqlite:///{tmp_path}/mine.db"
    got = load_config({"SAFETY_ENV": "testing", "DATABASE_URL": url})["SQLALCHEMY_DATABASE_URI"]
    assert got == f"{url}?{SQLITE_URL_PARAMS}"
    assert load_config({"SAFETY_ENV": "testing", "DATABASE_URL": got})[
        "SQLALCHEMY_DATABASE_URI"] == got  # already there: unchanged


def test_options_the_url_sets_itself_are_kept(tmp_path):
    url = f"sqlite:///{tmp_path}/mine.db?geoalchemy2_connect_sqlite_init_mode=NONE"
    got = load_config({"SAFETY_ENV": "testing", "DATABASE_URL": url})["SQLALCHEMY_DATABASE_URI"]
    assert got == f"{url}&geoalchemy2_connect_sqlite_transaction=true"


def test_a_postgresql_url_is_left_alone():
    got = load_config({"SAFETY_ENV": "testing", "DATABASE_URL": "postgresql://u:p@db/safety"})
    assert got["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/safety"
