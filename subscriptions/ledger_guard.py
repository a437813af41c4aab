"""The database's own refusal to change or remove ledger entries.

The models refuse updates and deletes through the ORM; these triggers refuse them to any SQL, so an edit by hand,
a bad script or an injected statement fails in the database itself. The ledger head (`LedgerHead`) may only move
forward, one entry at a time, onto the entry chained to it.

Installed by the migration that made the chain and again after every `migrate` (`post_migrate`): on SQLite a
migration that rebuilds the table drops its triggers with it, and the test database, built without migrations,
gets the same triggers production has.

The one way past them is `ledger_maintenance`, used by `manage.py flush` to empty the whole database (the test
suite does this after every transactional test). On PostgreSQL it sets `session_replication_role = replica`,
which only a superuser (or a role granted SET on that parameter) may do, never the application's own role. SQLite
has no roles: anyone who can write the file can do anything, so there the triggers guard against mistakes only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps as installed_apps
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = ["guard_after_migrate", "guard_install", "guard_remove", "ledger_maintenance"]

ENTRIES = "subscriptions_ledgerentry"
HEAD = "subscriptions_ledgerhead"
MAINTENANCE = "subscriptions_ledger_maintenance"

REFUSED = "the ledger is append-only"
HEAD_BACKWARDS = "the ledger head only moves forward, onto the entry chained to it"

POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION subscriptions_ledger_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSED}: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION subscriptions_ledger_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.id = OLD.id AND (
            (NEW.sequence = OLD.sequence AND NEW.hash = OLD.hash)
            OR (NEW.sequence = OLD.sequence + 1 AND EXISTS (
                SELECT 1 FROM subscriptions_ledgerentry e
                WHERE e.sequence = NEW.sequence AND e.hash = NEW.hash AND e.prev_hash = OLD.hash
            ))
        ) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'the ledger head only moves forward, onto the entry chained to it (% to %)',
            OLD.sequence, NEW.sequence USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    *(
        statement
        for table in (ENTRIES, HEAD)
        for statement in (
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION subscriptions_ledger_refuse()",
        )
    ),
    f"DROP TRIGGER IF EXISTS {ENTRIES}_append_only ON {ENTRIES}",
    f"CREATE TRIGGER {ENTRIES}_append_only BEFORE UPDATE OR DELETE ON {ENTRIES} "
    "FOR EACH ROW EXECUTE FUNCTION subscriptions_ledger_refuse()",
    f"DROP TRIGGER IF EXISTS {HEAD}_no_delete ON {HEAD}",
    f"CREATE TRIGGER {HEAD}_no_delete BEFORE DELETE ON {HEAD} "
    "FOR EACH ROW EXECUTE FUNCTION subscriptions_ledger_refuse()",
    f"DROP TRIGGER IF EXISTS {HEAD}_forward ON {HEAD}",
    f"CREATE TRIGGER {HEAD}_forward BEFORE UPDATE ON {HEAD} "
    "FOR EACH ROW EXECUTE FUNCTION subscriptions_ledger_head_forward()",
]

POSTGRESQL_REMOVE = [
    *(
        f"DROP TRIGGER IF EXISTS {name} ON {table}"
        for table, name in (
            (ENTRIES, f"{ENTRIES}_no_truncate"),
            (ENTRIES, f"{ENTRIES}_append_only"),
            (HEAD, f"{HEAD}_no_truncate"),
            (HEAD, f"{HEAD}_no_delete"),
            (HEAD, f"{HEAD}_forward"),
        )
    ),
    "DROP FUNCTION IF EXISTS subscriptions_ledger_head_forward()",
    "DROP FUNCTION IF EXISTS subscriptions_ledger_refuse()",
]

_NOT_IN_MAINTENANCE = "NOT EXISTS (SELECT 1 FROM subscriptions_ledger_maintenance)"

SQLITE_TRIGGERS = {
    f"{ENTRIES}_no_update": f"BEFORE UPDATE ON {ENTRIES}",
    f"{ENTRIES}_no_delete": f"BEFORE DELETE ON {ENTRIES} WHEN {_NOT_IN_MAINTENANCE}",
    f"{HEAD}_no_delete": f"BEFORE DELETE ON {HEAD} WHEN {_NOT_IN_MAINTENANCE}",
    f"{HEAD}_forward": (
        "BEFORE UPDATE ON subscriptions_ledgerhead WHEN NOT (NEW.id = OLD.id AND ("
        "(NEW.sequence = OLD.sequence AND NEW.hash = OLD.hash) "
        "OR (NEW.sequence = OLD.sequence + 1 AND EXISTS ("
        "SELECT 1 FROM subscriptions_ledgerentry e "
        "WHERE e.sequence = NEW.sequence AND e.hash = NEW.hash AND e.prev_hash = OLD.hash"
        "))))"
    ),
}


def _sqlite_message(name: str) -> str:
    return HEAD_BACKWARDS if name.endswith("_forward") else f"{REFUSED}: {name} refused"


SQLITE_INSTALL = [
    f"CREATE TABLE IF NOT EXISTS {MAINTENANCE} (since TEXT NOT NULL)",
    *(
        statement
        for name, when in SQLITE_TRIGGERS.items()
        for statement in (
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, '{_sqlite_message(name)}'); END",
        )
    ),
]

SQLITE_REMOVE = [*(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS), f"DROP TABLE IF EXISTS {MAINTENANCE}"]


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def guard_install(connection: BaseDatabaseWrapper) -> None:
    """Create (or re-create) the triggers; safe to run any number of times."""
    if connection.vendor == "postgresql":
        _run(connection, POSTGRESQL_INSTALL)
    elif connection.vendor == "sqlite":
        _run(connection, SQLITE_INSTALL)


def guard_remove(connection: BaseDatabaseWrapper) -> None:
    """Drop the triggers (the migration's way back)."""
    if connection.vendor == "postgresql":
        _run(connection, POSTGRESQL_REMOVE)
    elif connection.vendor == "sqlite":
        _run(connection, SQLITE_REMOVE)


def guard_after_migrate(*, using: str, apps=None, **kwargs) -> None:
    """`post_migrate`: put the triggers back unless the database was migrated back to before the chain."""
    try:
        (apps or installed_apps).get_model("subscriptions", "LedgerHead")
    except LookupError:
        return
    guard_install(connections[using])


@contextmanager
def ledger_maintenance(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Let the statements in this block remove ledger rows (emptying the whole database, never editing it).

    One transaction: the permission ends with it, whether the block succeeds or not. On PostgreSQL this fails
    with "permission denied" for any role that is not a superuser, which is the point.
    """
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_setting('session_replication_role')")
            (before,) = cursor.fetchone()
            cursor.execute("SET LOCAL session_replication_role = replica")
        elif connection.vendor == "sqlite":
            cursor.execute(f"INSERT INTO {MAINTENANCE} (since) VALUES (datetime('now'))")  # noqa: S608
        yield
        if connection.vendor == "postgresql":
            # SET LOCAL lasts until the outermost transaction ends; this block may be nested in one.
            cursor.execute("SELECT set_config('session_replication_role', %s, true)", [before])
        elif connection.vendor == "sqlite":
            cursor.execute(f"DELETE FROM {MAINTENANCE}")  # noqa: S608
