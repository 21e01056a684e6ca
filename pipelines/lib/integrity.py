"""Cross-dataset integrity: rows whose reference (contract `references:`) points nowhere.

Such rows are loaded and stay loaded (an investor is real even when the
project delivery that names it is late); they are reported, never dropped:
here for `fdi summary` and tests, and as warn-severity dbt relationship tests
on the raw sources, which Dagster shows as asset checks.
"""
from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from sources.contract import all_datasets

IN_FORCE = "select delivery_id from audit.deliveries where status = 'loaded'"


@dataclass(frozen=True)
class Reference:
    schema: str
    table: str
    column: str
    target_schema: str
    target_table: str
    target_column: str

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.table}.{self.column} -> {self.target_schema}.{self.target_table}.{self.target_column}"


def references() -> list[Reference]:
    refs = []
    for ds in all_datasets():
        for col in ds.columns:
            if col.references:
                agency, dataset, column = col.references.split(".")
                refs.append(Reference(ds.raw_schema, ds.name, col.name, f"raw_{agency}", dataset, column))
    return refs


def orphans(conn: psycopg.Connection, ref: Reference) -> tuple[int, list[str]]:
    """(number of in-force rows whose reference is unknown, a few of the unknown values)."""
    query = sql.SQL("""
        select s.{col}::text from {src} as s
        where s._delivery_id in ({in_force}) and s.{col} is not null
          and not exists (select 1 from {dst} as t
                          where t.{tcol} = s.{col} and t._delivery_id in ({in_force}))
    """).format(col=sql.Identifier(ref.column), src=sql.Identifier(ref.schema, ref.table),
                dst=sql.Identifier(ref.target_schema, ref.target_table), tcol=sql.Identifier(ref.target_column),
                in_force=sql.SQL(IN_FORCE))
    values = [r[0] for r in conn.execute(query).fetchall()]
    return len(values), sorted(set(values))[:5]
