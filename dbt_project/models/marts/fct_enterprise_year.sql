-- The 360° view: one row per enterprise and calendar year in which at least
-- one agency reported on it (loaded, or held back in quarantine: below). A
-- measure is NULL when no record of it for that enterprise and year was
-- loaded, never 0 for unknown: left joins only, no coalesce to 0 across
-- agencies. Within one agency's records of the
-- enterprise-year, a kind it reported none of is 0, not NULL: customs
-- declared the enterprise's exports and no import, so its imports were 0.
-- Coverage: each agency's measures say how much of the year its data covers
-- (marts.dataset_coverage), so a sum over 10 months of customs is visible as
-- 10 months, not read as the year. Coverage is the dataset's, the same for
-- every enterprise of the year: an enterprise absent from a complete month
-- had nothing to report in it.
-- Coverage is not enough: a delivery in force may have records of the
-- enterprise that the loader quarantined (a negative amount in one column),
-- so the enterprise's figure from that month is short while the month is
-- complete. quarantined_records counts them (the records the year's figures
-- would read: every month of the flows, the year's CIT returns, the year-end
-- snapshot of loans and land, the register's investor rows behind a customs
-- line's unknown relation; int_quarantined_records_attributed) and
-- quarantined_inputs names them; is_complete is false when there are any.
-- An enterprise-year all of whose records were held back (its only customs
-- lines of the year, its only CIT return) is a row too, has_loaded_records
-- false: the agency reported and the loader held it back, which is not "no
-- activity". Its figures are NULL (nothing loaded, not 0), quarantined_inputs
-- names what was held back, is_complete is false; coverage is the dataset's,
-- as on any row. Only an enterprise of the warehouse (marts.dim_enterprise:
-- a tax code a loaded record of any agency carries) gets such a row: a
-- held-back record's code that no loaded record has may be a mistyped code
-- that passes the check digit, and making an enterprise of it would be
-- pretending; it stays counted at dataset level only
-- (marts.dataset_coverage.rows_quarantined).
with

coverage as (
    select
        left(period, 4)::int as year,
        {%- for agency, dataset, column in [
            ('customs', 'declarations', 'customs_months_covered'),
            ('tax', 'payments', 'tax_payments_months_covered'),
            ('labour', 'employment', 'labour_months_covered'),
            ('fx', 'capital_flows', 'fx_months_covered'),
            ('credit', 'loans', 'credit_months_covered'),
            ('land', 'leases', 'land_months_covered'),
        ] %}
        count(*) filter (where agency = '{{ agency }}' and dataset = '{{ dataset }}' and status = 'complete')
            as {{ column }},
        {%- endfor %}
        coalesce(bool_or(status = 'complete') filter (where agency = 'tax' and dataset = 'cit_returns'), false)
            as tax_year_covered
    from {{ ref('dataset_coverage') }}
    group by 1
),

tax as (
    select enterprise_id, fiscal_year as year,
           sum(revenue_vnd) as revenue_vnd, sum(profit_before_tax_vnd) as profit_before_tax_vnd,
           sum(cit_payable_vnd) as cit_payable_vnd
    from {{ ref('fct_tax_returns') }}
    group by 1, 2
),

payments as (
    select {{ enterprise_id_from_tax_code('tax_code') }} as enterprise_id, left(period, 4)::int as year,
           sum(amount_paid_vnd) as taxes_paid_vnd
    from {{ ref('stg_tax__payments') }}
    group by 1, 2
),

trade as (
    -- a line's registration date lies in its month (customs contract), so the year is the month's
    select enterprise_id, left(period, 4)::int as year,
           coalesce(sum(invoice_value_usd) filter (where flow = 'IM'), 0) as imports_usd,
           coalesce(sum(invoice_value_usd) filter (where flow = 'EX'), 0) as exports_usd,
           coalesce(sum(invoice_value_usd) filter (where is_related_party), 0) as related_party_trade_usd
    from {{ ref('int_customs_partner_months') }}
    group by 1, 2
),

-- the register snapshots the enterprise's lines of unknown relation
-- (fct_customs_lines.is_related_party NULL) read: each month's, as the lines
-- read it (macros/customs.sql, customs_period_inputs)
unknown_relation_snapshots as (
    select distinct m.enterprise_id, left(m.period, 4)::int as year, f.register_period
    from {{ ref('int_customs_partner_months') }} as m
    join ({{ customs_period_inputs() }}) as f on f.period = m.period
    where m.is_related_party is null
),

-- the register's groups in those snapshots (macros/customs.sql)
register_groups as (
    {{ register_group_memberships('select register_period from unknown_relation_snapshots') }}
),

-- and the enterprises whose investor rows held back make them unknown: the
-- enterprise itself and its sister companies in that snapshot (a sister's
-- investors are related too: fct_customs_lines)
unknown_relation_holders as (
    select s.enterprise_id, s.year, s.register_period, s.enterprise_id as holder_id
    from unknown_relation_snapshots as s
    union
    select s.enterprise_id, s.year, s.register_period, {{ enterprise_id_from_tax_code('sister.tax_code') }}
    from unknown_relation_snapshots as s
    join register_groups as own
      on {{ enterprise_id_from_tax_code('own.tax_code') }} = s.enterprise_id and own.snapshot_period = s.register_period
    join register_groups as sister
      on sister.snapshot_period = own.snapshot_period and sister.ultimate_parent = own.ultimate_parent
),

-- an enterprise may report under several social-insurance units: add the
-- units per month, then average over the months reported
employment_month as (
    select enterprise_id, period, sum(employees_total) as employees, sum(employees_foreign) as foreign_employees
    from {{ ref('fct_employment') }}
    where enterprise_id is not null
    group by 1, 2
),

employment as (
    select enterprise_id, left(period, 4)::int as year,
           round(avg(employees), 1) as employees_avg, round(avg(foreign_employees), 1) as employees_foreign_avg,
           count(*) as labour_months_reported
    from employment_month
    group by 1, 2
),

capital as (
    select enterprise_id, extract(year from value_date)::int as year,
           coalesce(sum(amount_usd) filter (where direction = 'inflow' and flow_type = 'capital_contribution'), 0)
               as capital_inflow_usd,
           coalesce(sum(amount_usd) filter (where direction = 'outflow' and flow_type = 'profit_repatriation'), 0)
               as repatriation_usd
    from {{ ref('fct_capital_flows') }}
    group by 1, 2
),

-- loans at year end: the year's last credit snapshot; an enterprise that
-- borrowed during the year but is absent from it has repaid (0), one never
-- reported in the year stays NULL
loan_year_end as (
    select left(snapshot_period, 4)::int as year, max(snapshot_period) as snapshot_period
    from {{ ref('fct_loans') }}
    group by 1
),

loans as (
    select l.enterprise_id, left(l.snapshot_period, 4)::int as year,
           coalesce(sum(l.outstanding_amount_usd) filter (where l.snapshot_period = y.snapshot_period), 0) as loans_outstanding_usd
    from {{ ref('fct_loans') }} as l
    join loan_year_end as y on y.year = left(l.snapshot_period, 4)::int
    group by 1, 2
),

-- leased land: leases in force in the year's last land snapshot.
-- materialized: inlined, the planner (guessing 2 land deliveries for 24 and
-- one linked lease for 97,000) can put the whole snapshot aggregate inside a
-- nested loop, once per lease: over six minutes at 5,000 enterprises
land_year_end as materialized (
    select left(snapshot_period, 4)::int as year, max(snapshot_period) as snapshot_period
    from {{ ref('stg_land__leases') }}
    group by 1
),

land as (
    select s.enterprise_id, y.year, sum(s.area_m2) filter (where s.status = 'active') as leased_area_m2
    from ({{ linked_records('land', 'leases') }}) as s
    join land_year_end as y on y.snapshot_period = s.snapshot_period
    where s.enterprise_id is not null
    group by 1, 2
),

-- the year's records of the enterprise held back in quarantine, of the
-- datasets and periods its figures read
quarantined as (
    select q.enterprise_id, left(q.period, 4)::int as year, q.agency, q.dataset, q.period, count(*) as records
    from {{ ref('int_quarantined_records_attributed') }} as q
    where q.enterprise_id is not null
      and ((q.agency, q.dataset) in (('customs', 'declarations'), ('tax', 'payments'), ('tax', 'cit_returns'),
                                     ('labour', 'employment'), ('fx', 'capital_flows'))
           or (q.agency, q.dataset) = ('credit', 'loans')
              and q.period in (select y.snapshot_period from loan_year_end as y)
           or (q.agency, q.dataset) = ('land', 'leases')
              and q.period in (select y.snapshot_period from land_year_end as y))
    group by 1, 2, 3, 4, 5
    union all
    -- the investor rows of the enterprise or of a sister company held back in a
    -- register snapshot one of its customs lines of the year of unknown
    -- relation read: the year's related-party trade is short by what they
    -- would make related (seed 2064: a parent's row held back, the year's figure 0)
    select s.enterprise_id, s.year, q.agency, q.dataset, q.period, count(*)
    from {{ ref('int_quarantined_records_attributed') }} as q
    join unknown_relation_holders as s on s.holder_id = q.enterprise_id and s.register_period = q.period
    where (q.agency, q.dataset) = ('registry', 'investors')
    group by 1, 2, 3, 4, 5
),

quarantine as (
    select enterprise_id, year, sum(records) as quarantined_records,
           string_agg(agency || '/' || dataset || ' ' || period || ' (' || records || ')', '; '
                      order by agency, dataset, period) as quarantined_inputs
    from quarantined
    group by 1, 2
),

-- the enterprise-years with loaded records, and those standing only on
-- records held back of an enterprise the warehouse has
spine as (
    select enterprise_id, year, bool_or(loaded) as has_loaded_records
    from (
        select enterprise_id, year, true as loaded from tax
        union all select enterprise_id, year, true from payments
        union all select enterprise_id, year, true from trade
        union all select enterprise_id, year, true from employment
        union all select enterprise_id, year, true from capital
        union all select enterprise_id, year, true from loans
        union all select enterprise_id, year, true from land
        union all
        select q.enterprise_id, q.year, false
        from quarantine as q
        where q.enterprise_id in (select e.enterprise_id from {{ ref('dim_enterprise') }} as e)
    ) as reported
    group by 1, 2
)

select
    s.enterprise_id::text as enterprise_id,
    s.year::int as year,
    t.revenue_vnd::bigint as revenue_vnd,
    t.profit_before_tax_vnd::bigint as profit_before_tax_vnd,
    t.cit_payable_vnd::bigint as cit_payable_vnd,
    p.taxes_paid_vnd::bigint as taxes_paid_vnd,
    tr.imports_usd::numeric(20, 2) as imports_usd,
    tr.exports_usd::numeric(20, 2) as exports_usd,
    tr.related_party_trade_usd::numeric(20, 2) as related_party_trade_usd,
    e.employees_avg::numeric(12, 1) as employees_avg,
    e.employees_foreign_avg::numeric(12, 1) as employees_foreign_avg,
    e.labour_months_reported::integer as labour_months_reported,
    c.capital_inflow_usd::numeric(20, 2) as capital_inflow_usd,
    c.repatriation_usd::numeric(20, 2) as repatriation_usd,
    l.loans_outstanding_usd::numeric(20, 2) as loans_outstanding_usd,
    d.leased_area_m2::numeric(16, 2) as leased_area_m2,
    coalesce(cov.customs_months_covered, 0)::integer as customs_months_covered,
    coalesce(cov.tax_payments_months_covered, 0)::integer as tax_payments_months_covered,
    coalesce(cov.labour_months_covered, 0)::integer as labour_months_covered,
    coalesce(cov.fx_months_covered, 0)::integer as fx_months_covered,
    coalesce(cov.credit_months_covered, 0)::integer as credit_months_covered,
    coalesce(cov.land_months_covered, 0)::integer as land_months_covered,
    coalesce(cov.tax_year_covered, false)::boolean as tax_year_covered,
    coalesce(q.quarantined_records, 0)::integer as quarantined_records,
    q.quarantined_inputs::text as quarantined_inputs,
    -- every dataset behind the row's measures delivered for the whole year,
    -- and none of the enterprise's records in them held back
    coalesce(cov.customs_months_covered = 12 and cov.tax_payments_months_covered = 12
             and cov.labour_months_covered = 12 and cov.fx_months_covered = 12
             and cov.credit_months_covered = 12 and cov.land_months_covered = 12
             and cov.tax_year_covered and q.enterprise_id is null, false)::boolean as is_complete,
    s.has_loaded_records::boolean as has_loaded_records
from spine as s
left join tax as t using (enterprise_id, year)
left join payments as p using (enterprise_id, year)
left join trade as tr using (enterprise_id, year)
left join employment as e using (enterprise_id, year)
left join capital as c using (enterprise_id, year)
left join loans as l using (enterprise_id, year)
left join land as d using (enterprise_id, year)
left join quarantine as q using (enterprise_id, year)
left join coverage as cov on cov.year = s.year
