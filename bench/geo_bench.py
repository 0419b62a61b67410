"""Nearest-10 available responders among 100k, and containing-organisation among 1,000
polygons: p50/p99 on SpatiaLite and PostGIS, through the same code the dispatcher runs.

    python -m bench.geo_bench [--responders 100000] [--orgs 1000] [--queries 500]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import uuid

from sqlalchemy import select, text

from bench.common import backend_line, bulk_users, make_app, timed

# Kazakhstan, roughly
LAT0, LAT1, LON0, LON1 = 41.0, 54.0, 50.0, 85.0


def build(app, n_responders: int, n_orgs: int, rng: random.Random) -> None:
    from safety import geo
    from safety.dispatch.models import ResponderState
    from safety.extensions import db
    from safety.orgs.models import Organization, OrgMember
    from safety.util import utcnow

    with app.app_context(), db.engine.begin() as conn:
        now = utcnow()
        org_ids = []
        rows = []
        for i in range(n_orgs):
            if i < 3:  # three firms that cover Almaty, where the queries are
                lat, lon, d = 43.25, 76.92, 0.8
            else:
                lat, lon, d = rng.uniform(LAT0, LAT1), rng.uniform(LON0, LON1), rng.uniform(
                    0.05, 0.6)
            ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d],
                    [lon - d, lat + d], [lon - d, lat - d]]
            oid = uuid.uuid4()
            org_ids.append(oid)
            rows.append({"id": oid, "name": f"Org {i}", "kind": "security",
                         "phone": "+77272000000", "status": "active",
                         "coverage": geo.area_from_geojson(
                             {"type": "Polygon", "coordinates": [ring]}),
                         "created_at": now, "updated_at": now})
        conn.execute(Organization.__table__.insert(), rows)
        users = bulk_users(conn, n_responders, "x", prefix="+7706")
        # A tenth of the responders work in and around Almaty, the rest anywhere.
        for start in range(0, n_responders, 5000):
            chunk = users[start:start + 5000]
            states, members = [], []
            for k, uid in enumerate(chunk):
                if (start + k) % 10 == 1:
                    lat, lon = rng.gauss(43.25, 0.15), rng.gauss(76.92, 0.2)
                else:
                    lat, lon = rng.uniform(LAT0, LAT1), rng.uniform(LON0, LON1)
                states.append({"user_id": uid, "on_duty": (start + k) % 5 != 0,
                               "location": geo.point(lat, lon), "location_at": now,
                               "updated_at": now})
                org = org_ids[(start + k) % 3] if (start + k) % 10 == 1 else org_ids[
                    3 + (start + k) % (len(org_ids) - 3)]
                members.append({"org_id": org, "user_id": uid,
                                "role": "responder", "created_at": now})
            conn.execute(ResponderState.__table__.insert(), states)
            conn.execute(OrgMember.__table__.insert(), members)
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))


def run(backend: str, args) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(backend, tmp)
        from safety import geo
        from safety.dispatch.models import ResponderState
        from safety.extensions import db
        from safety.orgs.models import Organization

        build(app, args.responders, args.orgs, rng)
        with app.app_context():
            points = [(rng.gauss(43.25, 0.1), rng.gauss(76.92, 0.1)) for _ in range(args.queries)]
            from safety.dispatch.responders import available_responders

            def nearest(i):
                lat, lon = points[i]
                # what the dispatcher does: the organisations covering the point, then their
                # nearest responders who are on duty, fresh, not busy, not yet offered
                covering = geo.containing(db.session, select(Organization.id),
                                          Organization.coverage, lat, lon)
                stmt = available_responders(covering, dispatch_id=uuid.uuid4())
                found = geo.near(db.session, stmt, ResponderState.location, lat, lon, 5000,
                                 limit=10)
                assert len(found) == 10, len(found)

            anywhere = [(rng.uniform(LAT0, LAT1), rng.uniform(LON0, LON1))
                        for _ in range(args.queries)]

            def containing(i):
                lat, lon = anywhere[i]
                geo.containing(db.session, select(Organization.id), Organization.coverage,
                               lat, lon)

            nearest(0)
            containing(0)  # warm
            print(backend_line(
                backend, f"covering orgs + nearest 10 available of {args.responders:,}",
                timed(nearest, args.queries)))
            print(backend_line(
                backend, f"organisations containing a point, of {args.orgs:,}",
                timed(containing, args.queries)))
            db.session.remove()
            if backend == "postgresql":
                db.session.execute(text("DROP SCHEMA public CASCADE"))
                db.session.execute(text("CREATE SCHEMA public"))
                db.session.commit()


def main() -> None:
    import os

    parser = argparse.ArgumentParser()
    parser.add_argument("--responders", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    backends = ["sqlite"] + (["postgresql"] if os.environ.get("SAFETY_BENCH_POSTGRES_URL")
                             else [])
    for backend in backends:
        run(backend, args)


if __name__ == "__main__":
    main()
