-- CAP01 charter capital not contributed by the deadline. Grain: one row per
-- enterprise and month (period YYYY-MM): the month after a project's
-- capital deadline, when its foreign investors had paid in less than their
-- share of the charter capital.
--
-- Method (docs/rule_cap01.md): foreign investors pay their capital through
-- the direct-investment capital account (Circular 06/2019/TT-NHNN), which the
-- State Bank reports as fx capital_contribution inflows; domestic partners
-- do not, so the amount due through these accounts is charter capital x
-- foreign_ownership_pct / 100 (Law on Enterprises 59/2020/QH14 Art. 47 and
-- 75: paid in full by the deadline). Only projects issued within the fx data
-- (their whole contribution history is visible) and whose deadline has
-- passed are judged; contributions count from the issue date to the deadline.
-- A window holding an fx month with no delivery in force (rejected or
-- missing) is not judged until that month arrives: the contribution may be in
-- it, and a gap in the data is never evidence that nothing was paid.
with

flows as (
    select * from {{ ref('fct_capital_flows') }}
),

fx_window as (
    select to_date(min(period), 'YYYY-MM') as first_day,
           (to_date(max(period), 'YYYY-MM') + interval '1 month')::date as end_day
    from flows
),

register as (
    select * from {{ ref('stg_registry__projects') }}
    where tax_code is not null and capital_deadline is not null
),

-- the registration as it stood at the deadline (the latest snapshot up to
-- that month, else the first one seen)
projects as (
    select distinct on (r.project_code)
        r.project_code, r.tax_code, r.issued_on, r.capital_deadline, r.charter_capital_usd,
        r.foreign_ownership_pct, r.snapshot_period,
        r.charter_capital_usd * r.foreign_ownership_pct / 100 as foreign_capital_due_usd
    from register as r
    order by r.project_code,
             (r.snapshot_period <= to_char(r.capital_deadline, 'YYYY-MM')) desc,
             case when r.snapshot_period <= to_char(r.capital_deadline, 'YYYY-MM') then r.snapshot_period end desc,
             r.snapshot_period
),

-- Contributions the loader quarantined (e.g. a mistyped tax code or currency
-- code) that belong to the enterprise: the shortfall is then not established
-- by the data, and the case belongs to the data-quality review, not here. A
-- quarantined row belongs to the enterprise when it is on the enterprise's
-- capital account (seen in its loaded flows) or names a tax code whose first
-- 9 digits are the enterprise's: the 10th is the check digit, so such a code
-- is the enterprise's own or its own with a wrong check digit (a firm that
-- paid in one tranche has no loaded flow to show its account). A quarantined
-- row in USD counts with its amount; in any other currency, or with an
-- unreadable amount, the amount is unknown (NULL) and no shortfall can be
-- established at all.
accounts as (
    select distinct tax_code, account_no from flows where flow_type = 'capital_contribution'
),

registered as (
    select distinct tax_code from register
),

quarantined as (
    select
        coalesce(a.tax_code, r.tax_code) as tax_code,
        (q.original ->> 'value_date')::date as value_date,
        case when q.original ->> 'currency' = 'USD' and q.original ->> 'amount' ~ '^[0-9]+(\.[0-9]+)?$'
             then (q.original ->> 'amount')::numeric end as amount_usd
    from {{ ref('stg_audit__quarantine') }} as q
    -- only deliveries in force: a superseded delivery's quarantined row was replaced by its correction's rows
    join {{ ref('stg_audit__deliveries') }} as dq on dq.delivery_id = q.delivery_id and dq.status = 'loaded'
    left join accounts as a on a.account_no = q.original ->> 'account_no'
    left join registered as r
      on left(r.tax_code, 9) = left(regexp_replace(q.original ->> 'tax_code', '[^0-9]', '', 'g'), 9)
    where q.agency = 'fx' and q.dataset = 'capital_flows'
      and q.original ->> 'flow_type' = 'capital_contribution'
      and q.original ->> 'value_date' ~ '^\d{4}-\d{2}-\d{2}$'
      and coalesce(a.tax_code, r.tax_code) is not null
),

-- fx months without a delivery in force (rejected or missing,
-- marts.dataset_coverage): a contribution paid in such a month is not in the
-- data, so a shortfall over a window holding one is not established
fx_gaps as (
    select period from {{ ref('dataset_coverage') }}
    where agency = 'fx' and dataset = 'capital_flows' and status <> 'complete'
),

-- the projects judged: issued within the fx data, deadline passed
due as (
    select p.*
    from projects as p
    cross join fx_window as w
    where p.issued_on >= w.first_day
      and p.capital_deadline < w.end_day
      and p.foreign_capital_due_usd > 0
),

-- what each window holds, joined on the tax code and summed per project:
-- a subquery per project scanned every flow for each (1.7 s at 5,000
-- enterprises over three years, growing with projects times flows)
window_contributions as (
    select d.project_code, sum(f.amount_usd) as contributed_usd
    from due as d
    join flows as f
      on f.tax_code = d.tax_code
     and f.flow_type = 'capital_contribution' and f.direction = 'inflow'
     and f.value_date between d.issued_on and d.capital_deadline
    group by d.project_code
),

window_quarantined as (
    select d.project_code, sum(q.amount_usd) as quarantined_usd, count(*) filter (where q.amount_usd is null) as quarantined_unknown
    from due as d
    join quarantined as q on q.tax_code = d.tax_code and q.value_date between d.issued_on and d.capital_deadline
    group by d.project_code
),

window_gaps as (
    select d.project_code, count(*) as uncovered_months
    from due as d
    join fx_gaps as g on g.period between to_char(d.issued_on, 'YYYY-MM') and to_char(d.capital_deadline, 'YYYY-MM')
    group by d.project_code
),

judged as (
    select
        d.*,
        coalesce(g.uncovered_months, 0) as uncovered_months,
        coalesce(q.quarantined_usd, 0) as quarantined_usd,
        coalesce(q.quarantined_unknown, 0) as quarantined_unknown,
        coalesce(c.contributed_usd, 0) as contributed_usd
    from due as d
    left join window_gaps as g using (project_code)
    left join window_quarantined as q using (project_code)
    left join window_contributions as c using (project_code)
),

findings as (
    select
        {{ enterprise_id_from_tax_code('tax_code') }} as enterprise_id,
        tax_code,
        to_char(capital_deadline + interval '1 month', 'YYYY-MM') as period,
        {{ risk_score('1 - sum(contributed_usd) / sum(foreign_capital_due_usd)', '1 - ' ~ threshold('CAP01', 'min_contributed_share'), 1) }} as score,
        -- the capital missing, in VND at the latest year's average is not
        -- known here: the evidence keeps USD, the amount at stake is left out
        null::numeric as amount_at_stake_vnd,
        'Đến hạn góp vốn ' || to_char(max(capital_deadline), 'DD/MM/YYYY') || ', nhà đầu tư nước ngoài mới góp '
            || {{ vn_number('sum(contributed_usd)') }} || ' USD trên ' || {{ vn_number('sum(foreign_capital_due_usd)') }}
            || ' USD phải góp (' || {{ vn_pct('sum(contributed_usd) / sum(foreign_capital_due_usd)') }} || ').' as summary,
        jsonb_build_object(
            'threshold', 'foreign capital contributed below charter capital x foreign ownership by the deadline (Law on Enterprises 2020 Art. 47, 75)',
            'min_contributed_share', {{ threshold('CAP01', 'min_contributed_share') }},
            'contributed_usd', round(sum(contributed_usd), 2),
            'foreign_capital_due_usd', round(sum(foreign_capital_due_usd), 2),
            'quarantined_contributions_usd', round(sum(quarantined_usd), 2),
            'shortfall_usd', round(sum(foreign_capital_due_usd) - sum(contributed_usd), 2),
            'projects', jsonb_agg(jsonb_build_object(
                'project_code', project_code, 'issued_on', issued_on, 'capital_deadline', capital_deadline,
                'charter_capital_usd', charter_capital_usd, 'foreign_ownership_pct', foreign_ownership_pct,
                'register_snapshot', snapshot_period) order by project_code)
        ) as evidence
    from judged
    group by tax_code, to_char(capital_deadline + interval '1 month', 'YYYY-MM')
    having sum(contributed_usd) + sum(quarantined_usd)
           < {{ threshold('CAP01', 'min_contributed_share') }} * sum(foreign_capital_due_usd)
       and sum(quarantined_unknown) = 0
       -- a month of the window without fx data is unknown, never "nothing paid"
       and sum(uncovered_months) = 0
)

{{ risk_flag_columns('CAP01', '1.2') }}
