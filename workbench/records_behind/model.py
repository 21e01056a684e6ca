"""What a records page holds: groups of rows, each row one record the rule read, with the key to ask its agency."""
from __future__ import annotations

from dataclasses import dataclass, field

SHOWN_PER_GROUP = 200  # rows on the page per group; the download has them all


@dataclass
class Group:
    """The records behind one good (TP01/TP02), one project (CAP01), one party (REL01), one kind of record (a
    rule reading several datasets: its CIT returns, its loans) or the year (TP07)."""

    title: dict[str, str]  # what the group is, e.g. {"hs_code": ..., "unit": ...}
    rows: list[dict] = field(default_factory=list)
    # its own columns when the groups of one page are records of different datasets (a return, a loan); None:
    # the page's columns
    columns: tuple[str, ...] | None = None

    @property
    def shown(self) -> list[dict]:
        return self.rows[:SHOWN_PER_GROUP]


@dataclass
class Behind:
    kind: str  # the page's title key (i18n.TEXT) and its hint's (kind + "_hint")
    columns: tuple[str, ...]  # keys of each row, in the order downloaded (every group's, in their order)
    groups: list[Group]


def fetch(pg, sql: str, params: dict) -> list[dict]:
    """The query's rows as dicts by column name."""
    cursor = pg.execute(sql, params)
    names = [c.name for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor]


def into_groups(groups: list[Group], rows: list[dict]) -> list[Group]:
    """Each row into the group its `i` numbers; the download's lines carry their group's title."""
    for row in rows:
        group = groups[row.pop("i")]
        group.rows.append({**group.title, **row})
    return groups


def of_kinds(kind: str, groups: list[Group]) -> Behind:
    """A page whose groups are records of different datasets, each with its own columns (led by the title's):
    the download has every group's columns, a record's own filled in."""
    columns: list[str] = []
    for g in groups:
        g.columns = tuple(g.title) + (g.columns or ())
        columns += [c for c in g.columns if c not in columns]
    return Behind(kind, tuple(columns), groups)
