"""Guards the versions of the normalisations stored by incremental models: a warehouse built with another
normalisation of names, addresses or party names is rebuilt by an ordinary build after it changes, to what a
full refresh builds.

The incremental models keep what they stored while its fingerprint holds: int_names_normalised and
int_addresses_normalised a name or an address normalised once (names_version, addresses_version in
macros/names.sql), the customs and network models a period's party names (party_names_version,
network_rows_version in macros/network.sql). Without the normalisation in those fingerprints, a warehouse built
before a change kept its old names, and links, groups and flags built on them, until a --full-refresh.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import assert_equals_full_refresh, built_economy, dbt
from warehouse.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.e2e

# Every table that stores a normalised name, address or party name, or is built from one: entity resolution's,
# then the customs and network models', incremental ones first in each, and the rules that read them.
NORMALISED_TABLES = (
    "intermediate.int_names_normalised", "intermediate.int_addresses_normalised",
    "intermediate.int_name_pairs_compared", "intermediate.int_name_candidates_scored", "marts.enterprise_links",
    "marts.fct_customs_lines", "intermediate.int_customs_partner_months", "intermediate.int_customs_price_deviations",
    "intermediate.int_customs_partner_years", "intermediate.int_trade_partners_combined",
    "intermediate.int_relationship_years", "marts.enterprise_relationships", "marts.enterprise_groups", "risk.flags",
)

# An earlier version per macro, as a warehouse built before a change of it would hold: (its SQL, queries of what
# it made, tables whose `inputs_fingerprint` must all change with it). Names merely lower-cased; party names
# without the foreign legal forms, country words and ISO codes dropped (normalise_name alone); addresses merely
# lower-cased.
EARLIER_NORMALISATIONS = {
    "normalise_name": ("lower({{ column }})",
                       ("select distinct name_normalised from intermediate.int_names_normalised",),
                       ("intermediate.int_names_normalised",)),
    "normalise_party": ("{{ normalise_name(column) }}",
                        ("select distinct related_party from marts.enterprise_relationships",),
                        ("marts.fct_customs_lines",)),
    "normalise_address": ("lower({{ column }})",
                          ("select distinct related_party from intermediate.int_relationship_years"
                           " where relationship = 'premises'",
                           "select distinct address_normalised from intermediate.int_addresses_normalised"),
                          ("intermediate.int_relationship_years", "intermediate.int_addresses_normalised")),
}


@pytest.fixture(scope="module")
def built(pg_server, tmp_path_factory):
    """A connection to a small economy built once for the module."""
    with built_economy(pg_server, tmp_path_factory.mktemp("normalisations"), enterprises=150, years=(2023, 2024),
                       seed=5) as (_conn, pg, _landing):
        yield pg


def _project_with_an_earlier_normalisation(folder: Path, macro: str) -> Path:
    """A copy of the dbt project whose `macro` is the earlier normalisation of EARLIER_NORMALISATIONS."""
    project = folder / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    earlier, _, _ = EARLIER_NORMALISATIONS[macro]
    header = f"{{% macro {macro}(column) -%}}"
    for path in (project / "macros").glob("*.sql"):
        text = path.read_text()
        if header in text:
            path.write_text(text.replace(header, f"{{% macro {macro}_now(column) -%}}")
                            + f"\n{header}{earlier}{{%- endmacro %}}\n")
            return project
    raise AssertionError(f"no macro {macro} in the project")


def _made(db, queries: tuple[str, ...]) -> list[set]:
    return [set(db.execute(q).fetchall()) for q in queries]


@pytest.mark.parametrize("macro", sorted(EARLIER_NORMALISATIONS))
def test_a_changed_normalisation_is_rebuilt_by_an_ordinary_build(built, tmp_path, macro):
    db = built
    _, made, fingerprinted = EARLIER_NORMALISATIONS[macro]
    now = _made(db, made)
    earlier = _project_with_an_earlier_normalisation(tmp_path, macro)
    dbt("run", "--project-dir", str(earlier), "--target-path", str(tmp_path / "target"))
    assert all(e != n for e, n in zip(_made(db, made), now, strict=True)), "the earlier normalisation made the same"
    fingerprints = [f"select distinct inputs_fingerprint from {table}" for table in fingerprinted]
    stored = _made(db, fingerprints)

    dbt("run")  # the project as it is: an ordinary build, no --full-refresh
    assert all(s.isdisjoint(n) for s, n in zip(stored, _made(db, fingerprints), strict=True))
    assert _made(db, made) == now
    assert_equals_full_refresh(db, *NORMALISED_TABLES, whole_project=True)


def test_a_table_built_before_its_fingerprint_gets_it_and_is_rebuilt_whole(built):
    """Guards delete_all_if_inputs_changed's upgrade (macros/incremental.sql): a warehouse built before
    int_names_normalised, int_addresses_normalised or int_trade_partners_combined stored `inputs_fingerprint`
    has no such column, which the pre-hook read; it adds the column, empties the table, and the build writes it
    whole, as a full refresh would."""
    db = built
    tables = ("intermediate.int_names_normalised", "intermediate.int_addresses_normalised",
              "intermediate.int_trade_partners_combined")
    for table in tables:
        db.execute(f"alter table {table} drop column inputs_fingerprint")

    dbt("run", "--select", *(table.split(".")[1] for table in tables))  # an ordinary build, no --full-refresh
    for table in tables:
        rows, versions = db.execute(f"select count(*), count(distinct inputs_fingerprint) from {table}").fetchone()
        assert rows > 0 and versions == 1, (table, rows, versions)
    assert_equals_full_refresh(db, *tables, whole_project=True)
