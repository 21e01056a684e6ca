-- One row per project per monthly register snapshot: the register as each
-- month's delivery states it (status, term), which REG01 reads snapshot by
-- snapshot. dim_project keeps the latest snapshot only and
-- dim_project_history the versions builds saw, so neither shows a reviewer
-- the months a lapsed project stayed registered active; this does, each
-- snapshot with its delivery (the workbench's records page).
-- The workbench reads a project's snapshots on every REG01 records page.
{{ config(indexes=[{'columns': ['project_code', 'snapshot_period']}]) }}

with

projects as (
    select * from {{ ref('stg_registry__projects') }}
)

select
    project_code::text as project_code,
    snapshot_period::text as snapshot_period,
    case when tax_code is not null then {{ enterprise_id_from_tax_code('tax_code') }} end::text as enterprise_id,
    tax_code::text as tax_code,
    irc_number::text as irc_number,
    status::text as status,
    issued_on::date as issued_on,
    expires_on::date as expires_on,
    delivery_id::text as delivery_id
from projects
