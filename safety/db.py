"""Database wiring: SQLite pragmas for the embedded default."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

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


READ_ONLY = "safety_read_only"  # an execution option: see read_only_transaction()


def _sqlite_begin(conn) -> None:
    # IMMEDIATE takes SQLite's write lock up front: a transaction never fails half-way for
    # having read before another writer committed. Writers queue on busy_timeout instead.
    # A transaction begun by read_only_transaction() is a plain (deferred) WAL reader.
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _mark_flush(session, _flush_context) -> None:
    session.info["safety_wrote"] = True


def _mark_dml(orm_execute_state) -> None:
    if not orm_execute_state.is_select:
        orm_execute_state.session.info["safety_wrote"] = True


def _transaction_end(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop("safety_wrote", None)


ADDED = "safety_added"  # session.info: the list `recording_added` fills, while it runs


def _record_added(session, instance) -> None:
    added = session.info.get(ADDED)
    if added is not None:
        added.append(instance)


def _track_writes(session) -> None:
    event.listen(session, "after_flush", _mark_flush)
    event.listen(session, "do_orm_execute", _mark_dml)
    event.listen(session, "after_transaction_end", _transaction_end)
    event.listen(session, "transient_to_pending", _record_added)


@contextmanager
def recording_added() -> Iterator[list]:
    """The objects the block adds to the session, in the order added, held for the caller
    (rows inserted by a Core statement are not among them): what a request made, to answer
    from without reading it back."""
    session = db.session()
    added: list = []
    session.info[ADDED] = added
    try:
        yield added
    finally:
        session.info.pop(ADDED, None)


def wrote_in_transaction() -> bool:
    """Whether the session's transaction holds (or is about to flush) any write."""
    session = db.session()
    return bool(session.new or session.dirty or session.deleted
                or session.info.get("safety_wrote"))


def end_read_transaction() -> bool:
    """End the session's transaction if it has written nothing, before slow work (argon2).

    On SQLite every transaction holds the database's write lock from its BEGIN (IMMEDIATE, see
    `_sqlite_begin`), and on PostgreSQL a `FOR UPDATE` holds its rows: a hash inside either
    would make every panic wait for it. What was read stays loaded (`expire_on_commit=False`);
    the next query begins a new transaction. Returns False and leaves the transaction open when
    it holds writes: those are the caller's to commit (only the CLI and the seed compose so).
    """
    session = db.session()
    if not session.in_transaction():
        return True
    if wrote_in_transaction():
        return False
    session.commit()
    return True


def read_only_transaction() -> None:
    """Begin the session's transaction as a reader, for a request that only reads and is
    asked often (the console's pages and polls). On SQLite it is a deferred transaction, which
    in WAL mode takes no lock a writer waits for, so no panic queues behind a page being read;
    such a transaction must not write. Nothing changes on PostgreSQL."""
    session = db.session()
    if not session.in_transaction():
        session.connection(execution_options={READ_ONLY: True})


@contextmanager
def committed_alone() -> Iterator[None]:
    """Commit what the block writes on its own, when the transaction held no write before it.

    For counts that must stand whatever the request then answers (a wrong password is an error
    answer, and an error rolls back), and that must be committed before slow work. Inside a
    transaction that already holds writes (the CLI, the seed) they ride along with those.
    A block that raises commits nothing.
    """
    alone = not wrote_in_transaction()
    yield
    db.session.flush()
    if alone:
        db.session.commit()


def register_db(app: Flask) -> None:
    db.init_app(app)
    if not event.contains(db.session, "after_flush", _mark_flush):  # one session per process
        _track_writes(db.session)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        os.makedirs(app.instance_path, exist_ok=True)
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)
            event.listen(db.engine, "begin", _sqlite_begin)
