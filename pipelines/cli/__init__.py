"""`fdi`: the command line of the FDI warehouse.

Every command reads the same settings (FDI_HOME, FDI_DATABASE_URL, ...). An
expected failure (no server, no landing folder, a bad option) ends with one
sentence on stderr and exit code 2, never a traceback.

The commands of this package move data (`database`, `loading`, `tools`).
Commands of the layers above (the applications in `apps/` and `workbench/`,
the development tools in `devtools/`) are plugged in through the entry-point
group `fdi.commands` (pyproject.toml), so `pipelines` never imports them.
"""
# Each command module registers its commands on `main` when imported.
from pipelines.cli import coverage, database, loading, tools  # noqa: E402,F401,I001
from pipelines.cli.root import main

__all__ = ["main"]

if __name__ == "__main__":
    main()
