-- One row per registered project: its latest state in the investment register.
with

projects as (
    select * from {{ ref('stg_registry__projects') }}
),

latest as (
    select distinct on (project_code) *
    from projects
    order by project_code, snapshot_period desc
)

select
    project_code::text as project_code,
    -- as entity resolution linked the latest snapshot: by its tax code, or by name and address while the
    -- register has no code for it yet (dim_enterprise reads the register the same way)
    k.enterprise_id::text as enterprise_id,
    tax_code::text as tax_code,
    irc_number::text as irc_number,
    enterprise_name::text as enterprise_name,
    industrial_zone_code::text as industrial_zone_code,
    vsic_code::text as vsic_code,
    registered_capital_usd::numeric(18, 2) as registered_capital_usd,
    charter_capital_usd::numeric(18, 2) as charter_capital_usd,
    foreign_ownership_pct::numeric(5, 2) as foreign_ownership_pct,
    issued_on::date as issued_on,
    last_adjusted_on::date as last_adjusted_on,
    expires_on::date as expires_on,
    capital_deadline::date as capital_deadline,
    status::text as status,
    authority::text as authority,
    snapshot_period::text as snapshot_period
from latest
left join {{ ref('enterprise_links') }} as k
  on k.agency = 'registry' and k.dataset = 'projects'
 and k.delivery_id = latest.delivery_id and k.row_number = latest.row_number
