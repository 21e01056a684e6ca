-- Reconciliation of the 360° view (one row per enterprise and year, so no
-- row count to compare with raw): over all enterprises and years, each
-- measure adds up to the total of the facts it comes from, so joining seven
-- agencies on one spine lost or doubled nothing. Returns the mismatches.
-- meta.dagster.ref: the Dagster asset check of fct_enterprise_year (a
-- singular test with several inputs is otherwise only an observation).
{{ config(meta={'dagster': {'ref': {'name': 'fct_enterprise_year'}}}) }}

with

view_totals as (
    select
        sum(revenue_vnd) as revenue_vnd,
        sum(taxes_paid_vnd) as taxes_paid_vnd,
        sum(imports_usd) as imports_usd,
        sum(exports_usd) as exports_usd,
        sum(capital_inflow_usd) as capital_inflow_usd,
        sum(repatriation_usd) as repatriation_usd
    from {{ ref('fct_enterprise_year') }}
),

-- the customs lines, the largest of the facts, read once for both flows (two scalar subqueries
-- read them twice: 1.2 s of the test at 5,000 enterprises over two years)
customs_totals as (
    select sum(invoice_value_usd) filter (where flow = 'IM') as imports_usd,
           sum(invoice_value_usd) filter (where flow = 'EX') as exports_usd
    from {{ ref('fct_customs_lines') }}
),

flow_totals as (
    select sum(amount_usd) filter (where direction = 'inflow' and flow_type = 'capital_contribution')
               as capital_inflow_usd,
           sum(amount_usd) filter (where direction = 'outflow' and flow_type = 'profit_repatriation')
               as repatriation_usd
    from {{ ref('fct_capital_flows') }}
),

source_totals as (
    select
        (select sum(revenue_vnd) from {{ ref('fct_tax_returns') }}) as revenue_vnd,
        (select sum(amount_paid_vnd) from {{ ref('stg_tax__payments') }}) as taxes_paid_vnd,
        c.imports_usd,
        c.exports_usd,
        f.capital_inflow_usd,
        f.repatriation_usd
    from customs_totals as c
    cross join flow_totals as f
),

measures as (
    select m.measure, m.view_total, m.source_total
    from view_totals as v
    cross join source_totals as s
    cross join lateral (values
        ('revenue_vnd', v.revenue_vnd::numeric, s.revenue_vnd::numeric),
        ('taxes_paid_vnd', v.taxes_paid_vnd, s.taxes_paid_vnd),
        ('imports_usd', v.imports_usd, s.imports_usd),
        ('exports_usd', v.exports_usd, s.exports_usd),
        ('capital_inflow_usd', v.capital_inflow_usd, s.capital_inflow_usd),
        ('repatriation_usd', v.repatriation_usd, s.repatriation_usd)
    ) as m (measure, view_total, source_total)
)

select * from measures
where view_total is distinct from source_total
