-- The judgements a rule holds back until a missing delivery arrives. Grain:
-- one row per rule, enterprise, period the finding would have, and month of
-- a dataset without a delivery in force that the judgement waits on.
--
-- A rule never reads a missing month as evidence, so a case whose judgement
-- a missing month decides is neither flagged nor cleared, and without this
-- table nobody would know it exists. Listed here is a case the rule would
-- flag if the missing months showed nothing, so each row is a possible
-- finding that a delivery decides. `fdi coverage` counts them beside each
-- gap to chase, and the workbench's queue says how many wait.
--   * CAP01: a capital window holding an fx month rejected or missing (the
--     contribution may be in it), short of the foreign share on the months
--     in force, quarantined contributions of the enterprise included;
--   * REG02: a run without activity that reaches min_silent_months on the
--     dates only with months some activity dataset is not complete for
--     (there may be activity in them); it waits on each such dataset-month;
--   * ABS01: a streak of rising arrears with a sign of a departing owner
--     that reaches min_rising_months only if each labour month without data
--     a rise spans (a rise across them counts once), or that follows its
--     last rise (an owner who left files no more), rose too.
-- Each rule's cases come from the CTEs the rule itself reads (macros
-- cap01_capital_windows, reg02_silent_runs, abs01_rising_streaks), in a
-- subquery of their own.
-- The other rules state the months missing in a finding's evidence and
-- summary (TP01, TP02, TP03, REG01, ...) or, where one missing year decides,
-- do not judge the year (TP04's year before without a return): not listed
-- yet (docs/risk.md, "Gaps").
with

cap01 as (
    with

    {{ cap01_capital_windows() }}

    select distinct
        {{ enterprise_id_from_tax_code('d.tax_code') }} as enterprise_id,
        d.tax_code, d.period, 'fx' as agency, 'capital_flows' as dataset,
        left(u.entry, 7) as waits_on_period, substr(u.entry, 9) as waits_on_status,
        jsonb_build_object(
            'contributed_usd', round(d.contributed_usd, 2),
            'quarantined_contributions_usd', round(d.quarantined_usd, 2),
            'foreign_capital_due_usd', round(d.foreign_capital_due_usd, 2),
            'capital_deadline', d.capital_deadline,
            'projects', d.project_codes
        ) as evidence
    from deadlines as d
    join judged as j
      on j.tax_code = d.tax_code and to_char(j.capital_deadline + interval '1 month', 'YYYY-MM') = d.period
    cross join lateral jsonb_array_elements_text(j.uncovered_periods) as u (entry)
    where d.is_short and d.uncovered_months > 0
),

reg02 as (
    with

    {{ reg02_silent_runs() }}

    select
        {{ enterprise_id_from_tax_code('r.tax_code') }} as enterprise_id,
        r.tax_code,
        {{ month_from_index('r.flagged_at') }} as period,
        d.agency, d.dataset,
        m.period as waits_on_period,
        coalesce(c.status, 'missing') as waits_on_status,
        jsonb_build_object(
            'silent_months', r.silent_months,
            'first_silent_month', {{ month_from_index('r.run_start') }},
            'last_silent_month', {{ month_from_index('r.run_end') }},
            'months_without_full_data', r.months_without_full_data,
            'active_projects', r.projects
        ) as evidence
    from runs_with_coverage as r
    cross join lateral jsonb_array_elements_text(r.months_without_full_data) as m (period)
    cross join (values ('tax', 'payments'), ('customs', 'declarations'), ('labour', 'employment'),
                       ('fx', 'capital_flows')) as d (agency, dataset)
    left join {{ ref('dataset_coverage') }} as c
      on c.agency = d.agency and c.dataset = d.dataset and c.period = m.period
    where r.silent_months < {{ threshold('REG02', 'min_silent_months') }}
      and c.status is distinct from 'complete'
),

abs01 as (
    with

    {{ abs01_rising_streaks() }}

    select
        j.enterprise_id,
        e.tax_code,
        {{ month_from_index('min(j.flag_month)') }} as period,
        'labour' as agency, 'employment' as dataset,
        g.period as waits_on_period,
        coalesce(c.status, 'missing') as waits_on_status,
        jsonb_build_object(
            'rising_months', max(j.rising_months),
            'first_rising_month', {{ month_from_index('min(j.run_start)') }},
            'last_rising_month', {{ month_from_index('max(j.run_end)') }},
            'labour_months_without_data', coalesce(j.labour_gaps, '[]') || coalesce(j.labour_gaps_after, '[]'),
            'signs', jsonb_agg(distinct j.sign)
        ) as evidence
    from judged as j
    left join enterprises as e on e.enterprise_id = j.enterprise_id
    cross join lateral jsonb_array_elements_text(coalesce(j.labour_gaps, '[]') || coalesce(j.labour_gaps_after, '[]'))
        as g (period)
    left join {{ ref('dataset_coverage') }} as c
      on c.agency = 'labour' and c.dataset = 'employment' and c.period = g.period
    where j.rising_months < {{ threshold('ABS01', 'min_rising_months') }}
    group by j.enterprise_id, e.tax_code, j.run_id, j.labour_gaps, j.labour_gaps_after, g.period, c.status
)

select
    w.rule_code::text as rule_code,
    w.enterprise_id::text as enterprise_id,
    w.tax_code::text as tax_code,
    w.period::text as period,
    w.agency::text as agency,
    w.dataset::text as dataset,
    w.waits_on_period::text as waits_on_period,
    w.waits_on_status::text as waits_on_status,
    w.evidence::jsonb as evidence
from (
    select 'CAP01' as rule_code, * from cap01
    union all
    select 'REG02', * from reg02
    union all
    select 'ABS01', * from abs01
) as w
