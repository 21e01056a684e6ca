"""The one line `fdi run` prints per dataset says what each delivery came to, not only what it loaded."""
from __future__ import annotations

import dagster as dg

from pipelines.run import dataset_line


def test_a_delivery_superseded_on_arrival_is_named_not_shown_as_in_force():
    """An extract older than the one in force loads into raw but changes nothing: found by an engineer's walk,
    where such a delivery read as one more period loaded."""
    metadata = {"rows_loaded": dg.MetadataValue.int(1), "rows_quarantined": dg.MetadataValue.int(1),
                "rejected_periods": dg.MetadataValue.json([]),
                "superseded_on_arrival": dg.MetadataValue.json(["2024-05"])}
    line = dataset_line("fx", "capital_flows", ["2024-05"], metadata)
    assert line.endswith("; superseded on arrival, a later extract is in force: 2024-05"), line
    assert "superseded" not in dataset_line("fx", "capital_flows", ["2024-05"],
                                            {**metadata, "superseded_on_arrival": dg.MetadataValue.json([])})
