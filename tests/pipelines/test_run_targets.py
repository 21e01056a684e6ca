"""Each dbt build writes its own target folder (about 20 MB); only the newest are kept."""
from __future__ import annotations

import os

from pipelines.lib.dbt_project import prune_run_targets


def test_only_the_newest_build_folders_are_kept(tmp_path):
    for age in range(25):
        folder = tmp_path / f"run-{age:02d}"
        (folder / "compiled").mkdir(parents=True)
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, (1_700_000_000 - age * 60, 1_700_000_000 - age * 60))  # run-00 the newest
    (tmp_path / "manifest.json").write_text("{}")  # the project's own artifacts are not builds

    removed = prune_run_targets(keep=20, target=tmp_path)

    assert sorted(p.name for p in removed) == [f"run-{age:02d}" for age in range(20, 25)]
    assert sorted(p.name for p in tmp_path.glob("run-*")) == [f"run-{age:02d}" for age in range(20)]
    assert (tmp_path / "manifest.json").exists()
    assert prune_run_targets(keep=20, target=tmp_path) == []
