"""Registry check latency with 100k entries, on SpatiaLite and PostGIS: by IIN, by name and
birth date, and by name alone (the slowest: candidates come from the name-key index).

    python -m bench.registry_bench [--entries 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import uuid
from datetime import date, timedelta

from bench.common import backend_line, bulk_users, make_app, timed

FIRST = ["Нурлан", "Ерлан", "Асхат", "Бауыржан", "Дамир", "Ерболат", "Жандос", "Қайрат",
         "Марат", "Серік", "Тимур", "Алексей", "Дмитрий", "Иван", "Сергей", "Андрей", "Руслан",
         "Айдос", "Олжас", "Данияр", "Арман", "Мирас", "Ильяс", "Рустам", "Виктор"]
LAST = ["Сериков", "Жумабаев", "Нурланов", "Ахметов", "Оспанов", "Касымов", "Иванов",
        "Петров", "Смирнов", "Ким", "Бекмуратов", "Исмаилов", "Абдуллаев", "Тулегенов",
        "Сулейменов", "Муканов", "Байжанов", "Есенов", "Кенжебеков", "Садыков"]


def build(app, n: int, rng: random.Random) -> list[dict]:
    from safety.extensions import db
    from safety.registry import iin as iin_mod
    from safety.registry import names
    from safety.registry.models import RegistryEntry, RegistryNameKey
    from safety.registry.service import _dedupe_key
    from safety.util import utcnow

    people = []
    with app.app_context(), db.engine.begin() as conn:
        now = utcnow()
        for start in range(0, n, 5000):
            rows, keys = [], []
            for k in range(start, min(n, start + 5000)):
                born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
                full = f"{rng.choice(LAST)} {rng.choice(FIRST)}"
                iin = iin_mod.make(born, "male", serial=f"{k % 9000:04d}") if k % 2 else None
                data = {"full_name": full, "birth_date": born, "iin": iin,
                        "category": "protective_order", "decided_on": date(2024, 1, 1),
                        "case_reference": f"c-{k}"}
                eid = uuid.uuid4()
                nk = names.name_keys(full)
                rows.append({**data, "id": eid, "name_key": " ".join(nk), "phone": None,
                             "authority": "Court", "legal_basis": "court_decision",
                             "consent_reference": None, "expires_on": date(2035, 1, 1),
                             "dedupe_key": _dedupe_key(data), "created_at": now,
                             "updated_at": now, "deleted_at": None})
                keys.extend({"entry_id": eid, "key": key} for key in set(nk))
                if k % 200 in (0, 1):
                    people.append(data)
            conn.execute(RegistryEntry.__table__.insert(), rows)
            conn.execute(RegistryNameKey.__table__.insert(), keys)
    return people


def run(backend: str, args) -> None:
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(backend, tmp)
        app.config["REGISTRY_CHECKS_PER_DAY"] = 10**9
        people = build(app, args.entries, rng)
        from safety.accounts.models import User
        from safety.extensions import db
        from safety.registry import service

        with app.app_context():
            with db.engine.begin() as conn:
                uid = bulk_users(conn, 1, "x")[0]
            user = db.session.get(User, uid)
            with_iin = [p for p in people if p["iin"]]

            def by_iin(i):
                p = with_iin[i % len(with_iin)]
                assert service.check(user, {"full_name": "X Y", "iin": p["iin"],
                                            "purpose": "dating"}).result == "match"

            def by_name_and_birth(i):
                p = people[i % len(people)]
                first, last = p["full_name"].split()[1], p["full_name"].split()[0]
                r = service.check(user, {"full_name": f"{first} {last}",
                                         "birth_date": p["birth_date"], "purpose": "dating"})
                assert r.result == "match"

            def by_name_only(i):
                p = people[i % len(people)]
                r = service.check(user, {"full_name": p["full_name"], "purpose": "dating"})
                assert r.result == "possible_match"

            for name, fn in (("by IIN", by_iin), ("by name + birth date", by_name_and_birth),
                             ("by name only", by_name_only)):
                fn(0)
                print(backend_line(backend, f"check {name}, {args.entries:,} entries",
                                   timed(fn, args.queries)))
                db.session.rollback()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    for backend in ["sqlite"] + (["postgresql"] if os.environ.get("SAFETY_BENCH_POSTGRES_URL")
                                 else []):
        run(backend, args)


if __name__ == "__main__":
    main()
