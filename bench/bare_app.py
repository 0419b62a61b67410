"""The floor the panic is measured against: a bare Flask endpoint that parses the panic's JSON
body and inserts one row with a PostGIS point through SQLAlchemy Core, nothing else (no token,
no ORM, no outbox). `bench.panic_bench` serves it with the same gunicorn settings as the app:

    DATABASE_URL=postgresql://... gunicorn -w 2 'bench.bare_app:create_bare_app()'

The table is `bench_bare` (`create_table` makes it; the bench drops the schema afterwards).
"""

from __future__ import annotations

import os
import uuid

from flask import Flask, jsonify, request
from geoalchemy2 import Geometry
from sqlalchemy import (
    Column,
    DateTime,
    Float,
    MetaData,
    String,
    Table,
    Uuid,
    create_engine,
    func,
)

metadata = MetaData()
bare = Table(
    "bench_bare", metadata,
    Column("id", Uuid, primary_key=True),
    Column("client_id", Uuid, nullable=False),
    Column("trigger", String(10), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("location", Geometry("POINT", srid=4326, spatial_index=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def engine_for(url: str):
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=False)


def create_table(url: str) -> None:
    engine = engine_for(url)
    metadata.create_all(engine)
    engine.dispose()


def create_bare_app(url: str | None = None) -> Flask:
    engine = engine_for(url or os.environ["DATABASE_URL"])
    app = Flask(__name__)

    @app.post("/bare")
    def insert():
        body = request.get_json()
        loc = body["location"]
        row = {"id": uuid.uuid4(), "client_id": uuid.UUID(body["client_id"]),
               "trigger": body["trigger"], "lat": loc["lat"], "lon": loc["lon"],
               "location": func.ST_SetSRID(func.ST_MakePoint(loc["lon"], loc["lat"]), 4326)}
        with engine.begin() as conn:
            conn.execute(bare.insert().values(**row))
        return jsonify(id=str(row["id"]), client_id=body["client_id"]), 201

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app

