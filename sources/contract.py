"""The inter-agency agreement as data.

`sources/contracts/<agency>.yaml` are the agreement's files, kept identical to
the signed copies (a test compares them). Everything that depends on a
dataset's shape (the parser, the GX suites, the raw tables, the dbt sources)
is driven from the `Dataset` objects built here, never from a second list.
`local_rules.yaml` holds the few checks the warehouse adds on its own account,
each with the clause of the agreement it enforces.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"
AGENCIES = ("registry", "tax", "customs", "land", "labour", "credit", "fx")
SCHEMA_VERSION = "1.0"

_RULE = re.compile(r"^(>=|<=|>|<)\s*([a-z_][a-z0-9_]*)$")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    min_exclusive: float | None = None
    values: tuple[str, ...] = ()
    rule: str | None = None
    references: str | None = None
    description: str | None = None
    pii: bool = False
    not_after_extraction: bool = False  # local rule: a date of a past event
    hs_chapter: bool = False  # local rule: an AHTN code of a used chapter

    @property
    def comparison(self) -> tuple[str, str] | None:
        """(`op`, `other column`) for a rule such as `> lease_start`."""
        if self.rule:
            match = _RULE.match(self.rule.strip())
            if match:
                return match.group(1), match.group(2)
        return None


@dataclass(frozen=True)
class Dataset:
    agency: str
    name: str
    description: str
    grain: str  # month | year
    kind: str  # snapshot | events
    format: str  # csv | csv.gz | csv-vn | xlsx | jsonl
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    sheet: str | None = None
    optional: bool = False  # an extra dataset of ours, not of the agreement
    # local rule: role -> column of the columns that name the record's enterprise (entity resolution)
    identity: tuple[tuple[str, str], ...] = ()
    # local rule: an annual dataset's year is due this many months after its December (0: with it)
    due_months_after_year_end: int = 0

    @property
    def qualified(self) -> str:
        return f"{self.agency}.{self.name}"

    @property
    def raw_schema(self) -> str:
        # One naming rule across systems: dbt folder, schema, Dagster group.
        return f"raw_{self.agency}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.qualified} has no column {name!r}")

    @property
    def tax_code_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.type == "tax_code"]

    @property
    def pii_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.pii]

    @property
    def contract_meta(self) -> dict:
        """What dbt needs of the contract (the `meta.contract` of the generated source): the key, grain, kind,
        personal columns and the identity roles, so staging and entity resolution never retype them."""
        return {"key": list(self.key), "grain": self.grain, "kind": self.kind, "pii": self.pii_columns,
                "identity": dict(self.identity)}

    def period_pattern(self) -> str:
        return r"^\d{4}$" if self.grain == "year" else r"^\d{4}-(0[1-9]|1[0-2])$"


@dataclass(frozen=True)
class Agency:
    name: str
    title: str
    datasets: dict[str, Dataset] = field(default_factory=dict)


@cache
def _local_rules() -> dict:
    return yaml.safe_load((CONTRACTS_DIR / "local_rules.yaml").read_text())


def _due_months_after_year_end(agency: str, datasets: dict) -> dict[str, int]:
    """The local rule `due_months_after_year_end` for one agency's datasets, checked: a name that is no annual
    dataset of the agreement would silently mean "due with its December", and a deadline past the next
    December is no month of the year after, so either is refused with the line to fix."""
    where = f"{CONTRACTS_DIR / 'local_rules.yaml'}, due_months_after_year_end"
    due = {}
    for qualified, months in (_local_rules().get("due_months_after_year_end") or {}).items():
        owner, _, name = str(qualified).partition(".")
        if owner not in AGENCIES:
            raise ValueError(f"{where}: {qualified!r} names no agency of the agreement ({', '.join(AGENCIES)})")
        if owner != agency:
            continue
        if datasets.get(name, {}).get("grain") != "year":
            annual = ", ".join(f"{agency}.{n}" for n, spec in datasets.items() if spec["grain"] == "year")
            raise ValueError(f"{where}: {qualified!r} is no annual dataset of the agreement (annual: {annual})")
        if not isinstance(months, int) or isinstance(months, bool) or not 0 <= months <= 11:
            raise ValueError(f"{where}: {qualified}: {months!r} is no number of months from 0 to 11 after the "
                             "year's December")
        due[name] = months
    return due


def _listed(rule: str, qualified: str, column: str) -> bool:
    return column in (_local_rules().get(rule, {}) or {}).get(qualified, [])


@cache
def load_agency(name: str) -> Agency:
    if name not in AGENCIES:
        raise KeyError(f"unknown agency {name!r}; the agreement names {', '.join(AGENCIES)}")
    doc = yaml.safe_load((CONTRACTS_DIR / f"{name}.yaml").read_text())
    datasets = {}
    due = _due_months_after_year_end(name, doc["datasets"])
    for ds_name, spec in doc["datasets"].items():
        qualified = f"{name}.{ds_name}"
        pii = set(spec.get("pii", []))
        columns = tuple(
            Column(
                name=col,
                type=c["type"],
                required=bool(c.get("required", False)),
                pattern=c.get("pattern"),
                min=c.get("min"),
                max=c.get("max"),
                min_exclusive=c.get("min_exclusive"),
                values=tuple(str(v) for v in c.get("values", [])),
                rule=c.get("rule"),
                references=c.get("references"),
                description=c.get("description"),
                pii=col in pii,
                not_after_extraction=_listed("not_after_extraction", qualified, col),
                hs_chapter=_listed("hs_chapter", qualified, col),
            )
            for col, c in spec["columns"].items()
        )
        datasets[ds_name] = Dataset(
            agency=name,
            name=ds_name,
            description=spec.get("description", "").strip(),
            grain=spec["grain"],
            kind=spec["kind"],
            format=spec["format"],
            key=tuple(spec["key"]),
            columns=columns,
            sheet=spec.get("sheet"),
            optional=bool(spec.get("optional", False)),
            identity=tuple(((_local_rules().get("identity") or {}).get(qualified) or {}).items()),
            due_months_after_year_end=due.get(ds_name, 0),
        )
    return Agency(name=name, title=doc.get("title", name), datasets=datasets)


def dataset(agency: str, name: str) -> Dataset:
    try:
        return load_agency(agency).datasets[name]
    except KeyError as exc:
        raise KeyError(f"the agreement has no dataset {agency}/{name}") from exc


def all_datasets() -> list[Dataset]:
    return [ds for agency in AGENCIES for ds in load_agency(agency).datasets.values()]
