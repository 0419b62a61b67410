"""Database wiring: SQLite pragmas for the embedded default."""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import event

from safety.extensions import db


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINTs (releasing the outermost one
    # commits): let SQLAlchemy say BEGIN itself (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA busy_timeout = 30000")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.close()


def _sqlite_begin(conn) -> None:
    # IMMEDIATE takes SQLite's write lock up front: a transaction never fails half-way for
    # having read before another writer committed. Writers queue on busy_timeout instead.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def register_db(app: Flask) -> None:
    from safety.notify.outbox import register_wakeup  # noqa: PLC0415

    db.init_app(app)
    if not getattr(db.session, "_safety_wakeup", False):  # one session object per process
        register_wakeup(db.session)
        db.session._safety_wakeup = True
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        os.makedirs(app.instance_path, exist_ok=True)
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)
            event.listen(db.engine, "begin", _sqlite_begin)
