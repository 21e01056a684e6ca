-- One row per project and version of its registration (SCD2), from the
-- snapshot project_history_snapshot: each adjustment of the certificate seen
-- by a build opens a version; valid_to is NULL for the version in force.
select
    project_code::text as project_code,
    enterprise_id::text as enterprise_id,
    irc_number::text as irc_number,
    registered_capital_usd::numeric(18, 2) as registered_capital_usd,
    charter_capital_usd::numeric(18, 2) as charter_capital_usd,
    foreign_ownership_pct::numeric(5, 2) as foreign_ownership_pct,
    issued_on::date as issued_on,
    last_adjusted_on::date as last_adjusted_on,
    expires_on::date as expires_on,
    status::text as status,
    snapshot_period::text as snapshot_period,
    dbt_valid_from::timestamp as valid_from,
    dbt_valid_to::timestamp as valid_to,
    (dbt_valid_to is null)::boolean as is_current,
    dbt_scd_id::text as version_id
from {{ ref('project_history_snapshot') }}
