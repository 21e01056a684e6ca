-- One row per enterprise known to the investment register, keyed by its
-- 10-digit tax code. Entity resolution across agencies extends this table.
with

projects as (
    select * from {{ ref('stg_registry__projects') }}
    where tax_code is not null
),

latest_snapshot as (
    select max(snapshot_period) as snapshot_period from projects
),

-- The enterprise's latest register entry (its largest project when several).
enterprise as (
    select distinct on (tax_code)
        tax_code, enterprise_name, enterprise_name_en, foreign_ownership_pct, vsic_code,
        industrial_zone_code, project_code, snapshot_period
    from projects
    order by tax_code, snapshot_period desc, registered_capital_usd desc, project_code
),

investors as (
    select * from {{ ref('stg_registry__investors') }}
),

main_investor as (
    select distinct on (e.tax_code)
        e.tax_code, i.investor_country, i.ultimate_parent
    from enterprise as e
    join investors as i
      on i.project_code = e.project_code and i.snapshot_period = e.snapshot_period
    where i.investor_country <> 'VN'
    order by e.tax_code, i.ownership_pct desc, i.investor_seq
)

select
    {{ enterprise_id_from_tax_code('e.tax_code') }}::text as enterprise_id,
    e.tax_code::text as tax_code,
    e.enterprise_name::text as name_vi,
    e.enterprise_name_en::text as name_en,
    (e.foreign_ownership_pct > 0)::boolean as is_fdi,
    e.foreign_ownership_pct::numeric(5, 2) as foreign_ownership_pct,
    e.vsic_code::text as vsic_code,
    e.industrial_zone_code::text as industrial_zone_code,
    m.investor_country::text as investor_country,
    m.ultimate_parent::text as ultimate_parent
from enterprise as e
left join main_investor as m on m.tax_code = e.tax_code
