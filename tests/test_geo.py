"""safety/geo.py answers the same on SpatiaLite and PostGIS (run on both by the app fixture)."""

import pytest
from sqlalchemy import Column, MetaData, String, Table, select

from safety import geo
from safety.extensions import db

ALMATY = (43.2567, 76.9286)
ASTANA = (51.1282, 71.4304)

metadata = MetaData()
pts = Table("geo_test_points", metadata, Column("id", String(20), primary_key=True),
            Column("location", geo.point_type()))
areas = Table("geo_test_areas", metadata, Column("id", String(20), primary_key=True),
              Column("area", geo.area_type()))


class _Op:
    """Just enough of alembic's `op` for geo's DDL helpers."""

    def __init__(self, conn):
        self.conn = conn

    def get_bind(self):
        return self.conn

    def execute(self, sql):
        from sqlalchemy import text

        self.conn.execute(text(sql))


@pytest.fixture
def tables(app):
    with app.app_context():
        with db.engine.begin() as conn:
            metadata.create_all(conn)
            op = _Op(conn)
            geo.create_spatial_index(op, "geo_test_points", "location", geography=True)
            geo.create_spatial_index(op, "geo_test_areas", "area", geography=False)
        db.session.remove()
        db.engine.dispose()  # pooled SQLite connections must not keep an old schema
        yield
        db.session.remove()
        with db.engine.begin() as conn:
            geo.drop_spatial_index(_Op(conn), "geo_test_points", "location")
            geo.drop_spatial_index(_Op(conn), "geo_test_areas", "area")
            metadata.drop_all(conn)


def _add_points(rows):
    db.session.execute(pts.insert(), [
        {"id": name, "location": geo.point(lat, lon)} for name, (lat, lon) in rows.items()
    ])
    db.session.commit()


def test_almaty_astana_distance_within_half_a_percent(tables):
    _add_points({"astana": ASTANA})
    found = geo.near(db.session, select(pts.c.id), pts.c.location, *ALMATY, 2_000_000)
    assert len(found) == 1
    name, dist = found[0]
    assert name == "astana"
    assert dist == pytest.approx(970_000, rel=0.005)


def test_near_orders_by_distance_and_honours_radius(tables):
    lat, lon = ALMATY
    # roughly 100 m, 1 km, 3 km and 10 km north of the centre
    _add_points({
        "p100": (lat + 0.0009, lon), "p1k": (lat + 0.009, lon),
        "p3k": (lat + 0.027, lon), "p10k": (lat + 0.09, lon),
        "east2k": (lat, lon + 0.0247),
    })
    found = geo.near(db.session, select(pts.c.id), pts.c.location, lat, lon, 5_000)
    assert [n for n, _ in found] == ["p100", "p1k", "east2k", "p3k"]
    dists = [d for _, d in found]
    assert dists == sorted(dists)
    assert dists[0] == pytest.approx(100, rel=0.01)
    assert dists[2] == pytest.approx(2000, rel=0.01)
    limited = geo.near(db.session, select(pts.c.id), pts.c.location, lat, lon, 5_000, limit=2)
    assert [n for n, _ in limited] == ["p100", "p1k"]


def test_near_radius_edge_is_geodesic_not_degrees(tables):
    lat, lon = 60.0, 30.0  # far north: a degree of longitude is ~55.8 km, not 111 km
    _add_points({"east_50km": (lat, lon + 0.9)})  # ~50.2 km east
    assert geo.near(db.session, select(pts.c.id), pts.c.location, lat, lon, 49_000) == []
    found = geo.near(db.session, select(pts.c.id), pts.c.location, lat, lon, 51_000)
    assert [n for n, _ in found] == ["east_50km"]


def test_known_distances_are_identical_on_both_backends(tables):
    # Pinned values: the same numbers must come out of SpatiaLite and PostGIS.
    _add_points({"astana": ASTANA})
    (_, dist), = geo.near(db.session, select(pts.c.id), pts.c.location, *ALMATY, 2_000_000)
    assert dist == pytest.approx(968_198.0, abs=1.0)


def test_containing(tables):
    almaty_box = {"type": "Polygon", "coordinates": [[
        [76.7, 43.1], [77.2, 43.1], [77.2, 43.4], [76.7, 43.4], [76.7, 43.1]]]}
    two_parts = {"type": "MultiPolygon", "coordinates": [
        [[[71.2, 51.0], [71.6, 51.0], [71.6, 51.3], [71.2, 51.3], [71.2, 51.0]]],
        [[[76.9, 43.2], [77.0, 43.2], [77.0, 43.3], [76.9, 43.3], [76.9, 43.2]]],
    ]}
    db.session.execute(areas.insert(), [
        {"id": "almaty", "area": geo.area_from_geojson(almaty_box)},
        {"id": "both", "area": geo.area_from_geojson(two_parts)},
    ])
    db.session.commit()
    q = select(areas.c.id).order_by(areas.c.id)
    assert geo.containing(db.session, q, areas.c.area, *ALMATY) == ["almaty", "both"]
    assert geo.containing(db.session, q, areas.c.area, *ASTANA) == ["both"]
    assert geo.containing(db.session, q, areas.c.area, 0.0, 0.0) == []
    assert geo.containing(db.session, q, areas.c.area, 43.1, 76.8) == ["almaty"]  # on the edge
