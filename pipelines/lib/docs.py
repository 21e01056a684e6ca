"""`fdi docs`: build the dbt documentation site (static, no server needed).

`dbt docs generate --static` writes `dbt_project/target/static_index.html`, one
self-contained page with the catalogue (it reads the warehouse for column
types and row counts, so the database must be up), beside the usual
`index.html` + `manifest.json` + `catalog.json`.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from warehouse.settings import DBT_PROJECT_DIR, Settings


class DocsFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class DocsSite:
    index: Path         # index.html (needs manifest.json and catalog.json beside it)
    static_index: Path  # one self-contained page, openable from disk


def build_docs(settings: Settings | None = None) -> DocsSite:
    from pipelines.lib.dbt_project import dbt_env
    from warehouse.server import connect_info

    settings = settings or Settings.from_env()
    env = {**os.environ, **dbt_env(connect_info(settings), settings)}
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run([str(dbt), "docs", "generate", "--static", "--quiet"], cwd=DBT_PROJECT_DIR, env=env,
                          capture_output=True, text=True)
    target = DBT_PROJECT_DIR / "target"
    if done.returncode != 0:
        raise DocsFailed(f"dbt docs generate failed:\n{done.stdout}\n{done.stderr}")
    return DocsSite(index=target / "index.html", static_index=target / "static_index.html")
