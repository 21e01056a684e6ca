-- The judgements a rule holds back until a missing delivery arrives. Grain:
-- one row per rule, enterprise, period the finding would have, and month of
-- a dataset without a delivery in force that the judgement waits on.
--
-- A rule never reads a missing month as evidence: CAP01 judges no capital
-- window holding an fx month that is rejected or missing, since the
-- contribution may be in it. Such a case is neither flagged nor cleared, and
-- without this table nobody would know it exists. Listed here is a case the
-- rule would flag on the months in force (the contributions seen, quarantined
-- ones of the enterprise included, fall short), so each row is a finding that
-- a delivery decides. `fdi coverage` counts them beside each gap to chase,
-- and the workbench's queue says how many wait.
--
-- Only CAP01 so far. The other rules state the months missing in a finding's
-- evidence and summary (TP01, TP02, TP03, REG01, ...) or, where one missing
-- year decides, do not judge the year (TP04's year before without a return):
-- docs/risk.md, "Gaps".
with

{{ cap01_capital_windows() }},

-- CAP01's findings' grain: an enterprise's projects with one deadline month
cap01_short as (
    select
        tax_code,
        to_char(capital_deadline + interval '1 month', 'YYYY-MM') as period,
        sum(contributed_usd) as contributed_usd,
        sum(quarantined_usd) as quarantined_usd,
        sum(foreign_capital_due_usd) as foreign_capital_due_usd,
        max(capital_deadline) as capital_deadline,
        jsonb_agg(project_code order by project_code) as projects
    from judged
    group by tax_code, to_char(capital_deadline + interval '1 month', 'YYYY-MM')
    having sum(contributed_usd) + sum(quarantined_usd)
           < {{ threshold('CAP01', 'min_contributed_share') }} * sum(foreign_capital_due_usd)
       and sum(quarantined_unknown) = 0
       and sum(uncovered_months) > 0
),

cap01_waiting as (
    select distinct s.*, left(u.entry, 7) as waits_on_period, substr(u.entry, 9) as waits_on_status
    from cap01_short as s
    join judged as j
      on j.tax_code = s.tax_code and to_char(j.capital_deadline + interval '1 month', 'YYYY-MM') = s.period
    cross join lateral jsonb_array_elements_text(j.uncovered_periods) as u (entry)
)

select
    'CAP01'::text as rule_code,
    {{ enterprise_id_from_tax_code('tax_code') }}::text as enterprise_id,
    tax_code::text as tax_code,
    period::text as period,
    'fx'::text as agency,
    'capital_flows'::text as dataset,
    waits_on_period::text as waits_on_period,
    waits_on_status::text as waits_on_status,
    jsonb_build_object(
        'contributed_usd', round(contributed_usd, 2),
        'quarantined_contributions_usd', round(quarantined_usd, 2),
        'foreign_capital_due_usd', round(foreign_capital_due_usd, 2),
        'capital_deadline', capital_deadline,
        'projects', projects
    ) as evidence
from cap01_waiting
