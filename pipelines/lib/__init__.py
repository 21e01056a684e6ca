"""The reusable ingestion library the Dagster definitions and the CLI call: one delivery's load, GX validation,
contract artifacts, integrity report, the in-process run and the dbt docs build."""
