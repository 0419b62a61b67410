"""What one sync gunicorn worker holds when operators keep the live board open.

    python -m bench.console_poll_bench [--backend sqlite|postgresql] [--operators 10,30,60]

Serves the app with gunicorn (`--workers 1 --worker-class sync`) on 127.0.0.1 over the demo
world of `seed-demo --console` plus LIVE more live alerts, logs one dispatcher in through the
console's login page, then:

1. polls the board's live fragment (`GET /console/board/live`) one request after another: its
   cost, and so how many polls a second one worker can answer;
2. runs N operators, each polling once a second (CONSOLE_POLL_MS) as the page does, while one
   woman after another raises a panic through the API every half second: the panics' latency
   and the polls' latency with N boards open.

Server-sent events were not built: with sync workers each open stream would hold its worker
for as long as the board is open (one worker, one operator, and no panic served meanwhile).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import requests

from bench.common import bearer_tokens, bulk_users, login_sessions, make_app, pct

PASSWORD = "bench-password-123"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(app, live: int, women: int) -> list[str]:
    """The demo world, LIVE extra live alerts in Almaty, and tokens of WOMEN more women for
    the panics of phase 2."""

    from safety.accounts.models import User
    from safety.alerts import commands
    from safety.extensions import db
    from safety.passwords import hash_secret
    from safety.seed import seed_console_demo, seed_demo

    with app.test_request_context():
        seed_demo()
        seed_console_demo()
        db.session.commit()
        password_hash = hash_secret(PASSWORD)
        with db.engine.begin() as conn:
            busy = bulk_users(conn, live, password_hash, prefix="+7707")
            ids = bulk_users(conn, women, password_hash, prefix="+7708")
            sessions = login_sessions(conn, ids)
        for k, user_id in enumerate(busy):
            commands.raise_alert(db.session.get(User, user_id), {
                "client_id": uuid.uuid4(), "trigger": "button",
                "location": {"lat": 43.20 + 0.004 * k, "lon": 76.86 + 0.005 * k}})
            db.session.commit()
        return bearer_tokens(sessions)


def serve(url: str, instance: str, port: int, secret: str) -> subprocess.Popen:
    env = {**os.environ, "SAFETY_ENV": "development", "DATABASE_URL": url,
           "SAFETY_INSTANCE_PATH": instance, "SECRET_KEY": secret,
           "RATELIMIT_ENABLED": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        env=env, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(base + "/healthz", timeout=5)
            return proc
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def console_login(base: str) -> requests.Session:
    s = requests.Session()
    page = s.get(base + "/console/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = s.post(base + "/console/login", data={"csrf_token": token, "phone": "+77010000005",
                                              "password": "demo-password-1"},
               allow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return s


def line(name: str, seconds: list[float]) -> str:
    ms = [x * 1000 for x in seconds] or [0.0]
    return (f"{name:<46} n={len(ms):>5}  p50={pct(ms, .5):8.1f} ms  p99={pct(ms, .99):8.1f} ms"
            f"  max={max(ms):8.1f} ms")


def sequential(base: str, session: requests.Session, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = session.get(base + "/console/board/live")
        out.append(time.perf_counter() - t)
        assert r.status_code == 200
    return out


def under_load(base: str, session: requests.Session, operators: int, tokens: list[str],
               seconds: float) -> tuple[list[float], list[float]]:
    cookies = session.cookies.get_dict()
    stop = threading.Event()
    polls: list[float] = []
    panics: list[float] = []

    def operator(offset: float) -> None:
        s = requests.Session()
        s.cookies.update(cookies)
        time.sleep(offset)
        while not stop.is_set():
            t = time.perf_counter()
            r = s.get(base + "/console/board/live")
            polls.append(time.perf_counter() - t)
            assert r.status_code == 200, r.status_code
            time.sleep(max(0.0, 1.0 - (time.perf_counter() - t)))  # every 1 s, as htmx

    def woman() -> None:
        s = requests.Session()
        while not stop.is_set() and tokens:
            token = tokens.pop()
            t = time.perf_counter()
            r = s.post(base + "/api/v1/alerts", headers={"Authorization": f"Bearer {token}"},
                       json={"client_id": str(uuid.uuid4()), "trigger": "button",
                             "location": {"lat": 43.25, "lon": 76.92}})
            panics.append(time.perf_counter() - t)
            assert r.status_code == 201, r.text[:200]
            time.sleep(0.5)

    threads = [threading.Thread(target=operator, args=(k / max(1, operators),), daemon=True)
               for k in range(operators)] + [threading.Thread(target=woman, daemon=True)]
    for th in threads:
        th.start()
    time.sleep(seconds)
    stop.set()
    for th in threads:
        th.join(timeout=30)
    return polls, panics


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--operators", default="5,15,30")
    parser.add_argument("--live", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args()
    levels = [int(x) for x in args.operators.split(",")]
    tmp = tempfile.mkdtemp()
    app = make_app(args.backend, tmp)
    tokens = setup(app, args.live, women=int(args.seconds * 2.5) * len(levels) + 10)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    from safety.extensions import db

    with app.app_context():
        db.engine.dispose()
    port = _port()
    proc = serve(url, tmp, port, app.config["SECRET_KEY"])
    base = f"http://127.0.0.1:{port}"
    try:
        session = console_login(base)
        alone = sequential(base, session, 200)
        per_s = 1 / (sum(alone) / len(alone))
        print(f"[{args.backend}] one sync worker, {args.live + 3} live alerts, 5 responders")
        print(line("board fragment, one after another", alone) +
              f"  -> {per_s:.0f} polls/s")
        for n in levels:
            polls, panics = under_load(base, session, n, tokens, args.seconds)
            print(line(f"{n} operators polling every 1 s: their polls", polls))
            print(line(f"{n} operators polling every 1 s: panics", panics))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
