-- One row per enterprise: every 10-digit tax code any agency delivered
-- (int_enterprises_collected). Attributes come from the investment register
-- when the enterprise has a project there, else from what other agencies
-- call it (tax return name, lender's English name).
with

enterprises as (
    select * from {{ ref('int_enterprises_collected') }}
),

-- A project is the enterprise's as entity resolution linked it: by its tax
-- code, or by name and address when the register has no code for it yet
-- (contracts/registry.yaml: empty before incorporation). Read by the code
-- alone, a project registered before incorporation left a 70 % foreign
-- enterprise "not FDI" while the register's snapshots after it were not
-- delivered (seed 2047, a register delivered in January and July), and
-- NOM01 flagged it as hidden foreign control.
projects as (
    -- a project with a tax code is linked by it (enterprise_links' first step), so it is read from the code:
    -- read through the links' join, the planner took the register for a few rows and looped over the
    -- investors for each (the model took 19 s at 2,000 enterprises; 0.4 s so)
    select p.*, {{ enterprise_id_from_tax_code('p.tax_code') }} as enterprise_id
    from {{ ref('stg_registry__projects') }} as p
    where p.tax_code is not null
    union all
    select p.*, k.enterprise_id
    from {{ ref('stg_registry__projects') }} as p
    join {{ ref('enterprise_links') }} as k
      on k.agency = 'registry' and k.dataset = 'projects'
     and k.delivery_id = p.delivery_id and k.row_number = p.row_number
    where p.tax_code is null and k.enterprise_id is not null
),

-- The enterprise's latest register entry (its largest project when several).
registered as (
    select distinct on (enterprise_id)
        enterprise_id, enterprise_name, enterprise_name_en, foreign_ownership_pct, vsic_code,
        industrial_zone_code, project_code, snapshot_period
    from projects
    order by enterprise_id, snapshot_period desc, registered_capital_usd desc, project_code
),

investors as (
    select * from {{ ref('stg_registry__investors') }}
),

main_investor as (
    select distinct on (e.enterprise_id)
        e.enterprise_id, i.investor_country, i.ultimate_parent
    from registered as e
    join investors as i
      on i.project_code = e.project_code and i.snapshot_period = e.snapshot_period
    where i.investor_country <> 'VN'
    order by e.enterprise_id, i.ownership_pct desc, i.investor_seq
),

-- Outside the register: the name on the latest tax return, else the
-- latest name any agency used with the code.
tax_name as (
    select distinct on (tax_code) tax_code, taxpayer_name
    from {{ ref('stg_tax__cit_returns') }}
    order by tax_code, fiscal_year desc, amendment_no desc
),

other_name as (
    select distinct on (tax_code) tax_code, name
    from {{ ref('int_delivery_identities_counted') }}
    where tax_code is not null and name is not null
    order by tax_code, period desc, agency, dataset
),

english_name as (
    select distinct on (tax_code) tax_code, borrower_name
    from {{ ref('stg_credit__loans') }}
    order by tax_code, snapshot_period desc, lender_code, loan_id
)

select
    e.enterprise_id::text as enterprise_id,
    e.tax_code::text as tax_code,
    coalesce(r.enterprise_name, t.taxpayer_name, o.name)::text as name_vi,
    coalesce(r.enterprise_name_en, en.borrower_name)::text as name_en,
    -- every FDI project is registered (Law on Investment 2020 Art. 37), so
    -- an enterprise absent from the register is not foreign-invested
    coalesce(r.foreign_ownership_pct > 0, false)::boolean as is_fdi,
    r.foreign_ownership_pct::numeric(5, 2) as foreign_ownership_pct,
    r.vsic_code::text as vsic_code,
    r.industrial_zone_code::text as industrial_zone_code,
    m.investor_country::text as investor_country,
    m.ultimate_parent::text as ultimate_parent,
    (r.enterprise_id is not null)::boolean as in_investment_register,
    e.first_seen_period::text as first_seen_period,
    e.last_seen_period::text as last_seen_period
from enterprises as e
left join registered as r on r.enterprise_id = e.enterprise_id
left join main_investor as m on m.enterprise_id = e.enterprise_id
left join tax_name as t on t.tax_code = e.tax_code
left join other_name as o on o.tax_code = e.tax_code
left join english_name as en on en.tax_code = e.tax_code
