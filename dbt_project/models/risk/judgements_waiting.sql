-- The judgements a rule holds back until a missing delivery arrives. Grain:
-- one row per rule, enterprise, period the finding would have, and period
-- (month or year) of a dataset without a delivery in force that the judgement waits on.
--
-- A rule never reads a missing period as evidence, so a case whose judgement
-- a missing period decides is neither flagged nor cleared, and without this
-- table nobody would know it exists. Listed here is a case the rule would
-- flag if the missing periods showed nothing against it, so each row is a possible
-- finding that a delivery decides. `fdi coverage` counts them beside each
-- gap to chase, and the workbench's queue says how many wait.
--   * CAP01: a capital window holding an fx month rejected or missing (the
--     contribution may be in it), short of the foreign share on the months
--     in force, quarantined contributions of the enterprise included;
--   * REG02: a run without activity that reaches min_silent_months on the
--     dates only with months some activity dataset is not complete for
--     (there may be activity in them), and so do min_silent_months between
--     the enterprise's active months (or the data's ends) none of which
--     has full data, with no activity in what was delivered; it waits on
--     each such dataset-month;
--   * ABS01: a streak of rising arrears with a sign of a departing owner
--     that reaches min_rising_months only if each labour month without data
--     a rise spans (a rise across them counts once), or that follows its
--     last rise (an owner who left files no more), rose too; or a streak
--     long enough whose signs all come after its window, which the labour
--     months without data right after its last rise may extend (seed 2078:
--     arrears last seen in March, April never delivered, the tax payments'
--     stop first seen in July);
--   * TP04: a year whose own return makes the case (an operating loss below
--     its peers' range and the safe harbour, not a start-up year and after
--     none) while the year before has no return because that year's CIT
--     returns were rejected or not delivered (the rule does not judge a year
--     without the year before's), or whose related-party disclosures were not
--     delivered (a missing disclosure is no proof of no dealings); what is
--     known must hold as in the rule;
--   * TP03: a run of loss years shorter than min_loss_years that would reach
--     it if the years right before it, whose CIT returns were rejected or not
--     delivered (the rule ends a run at a year without a return), were losses
--     too, counting the run just before them; or a run long enough whose
--     year's related-party disclosures were not delivered;
--   * NOM01: an enterprise with enough signs of foreign control in a year,
--     first seen by its tax code after the last register snapshot loaded
--     (the register may show its project in the months not delivered): it
--     waits on each register month from its first record by code rejected
--     or not delivered. And a year short of min_signs that would reach it
--     with the kinds of sign the enterprise showed the year before or
--     after: it waits on each month of the year, not in force, of a dataset
--     that showed them (a missing month shows no sign). And a year one sign
--     short with a foreign lender no known group's party, while foreign-
--     invested enterprises of the register have no investors loaded (the
--     lender may be the parent of one): it waits on each investors month from
--     their first project's issue that was rejected or not delivered;
--   * TP01/TP02: a good priced past the range by a material share on the
--     related lines in force, with enough comparables but fewer related
--     lines than the rule's pattern needs, in a year with customs months
--     not in force (they may hold more), or one the pattern held the year
--     before or after with no related line in force in such a year: it
--     waits on each such month;
--   * REG01: a project the last register snapshot loaded shows active,
--     whose term (and grace) ended by a month after it rejected or not
--     delivered: that month's snapshot may show it active still; it waits
--     on each such month (a month before the last snapshot loaded is
--     settled by it);
--   * REL01: an enterprise-year with dealings (or a loan) with a party the
--     network shows as related, above the rule's threshold, that no
--     disclosure of the year names, while the year's related-party
--     disclosures were rejected or not delivered (the disclosure may name
--     the party), or the year's CIT returns were (the rule judges a year
--     with the enterprise's return in force); it waits on each. The same
--     case in a year delivered whole whose disclosure lines of the
--     enterprise are held in quarantine waits on the corrected delivery
--     (status quarantined). And a year whose undisclosed value falls
--     short of the threshold, but would reach it were its customs and fx
--     months not in force like the year's others, waits on each such
--     month, and on the tax deliveries above as a case does;
--   * TP05: a year without the enterprise's return, its CIT returns not in
--     force, that the rule flagged the year before or after, with a foreign
--     or related-party loan of the year; or a year whose own return makes
--     the case with no foreign loan in the credit register, while its
--     related-party disclosures (which may show one) are not in force;
--   * TP06: a year without the enterprise's return, its CIT returns not in
--     force, whose disclosed fees pass the share of the revenue of its
--     nearest return not of a start-up year; or a loss year whose
--     disclosures are not in force, whose fees passed the share in the
--     nearest year with both;
--   * TP07: a year with a profit remitted and no return of the enterprise,
--     its CIT returns not in force; or a remittance year whose return shows
--     neither a loss nor losses carried forward, while the year before's
--     returns (the losses carried into the year) are not in force.
-- Each rule's cases come from the CTEs the rule itself reads (macros
-- cap01_capital_windows, reg02_silent_runs, abs01_rising_streaks,
-- tp04_margins, tp03_loss_runs, nom01_signs, reg01_stale_projects,
-- rel01_undisclosed_dealings, rel01_disclosures_held,
-- tp05_interest_capacity, tp06_fees, tp07_repatriations), in a subquery of
-- their own.
-- LAND01 judges on the periods in force and states the months missing in a
-- finding's evidence and summary (docs/risk.md, "Gaps").
--
-- A rule whose datasets have no period without a delivery in force (REL01:
-- nor a disclosure line held in quarantine) has no case waiting, and its
-- CTEs are not computed: each rule's subquery below
-- is gated by an uncorrelated EXISTS on the coverage grid, which PostgreSQL
-- plans as a one-time filter and, false, skips the subquery whole. Why: the
-- six rules' CTEs cost about 3 s of every build at 5,000 enterprises (their
-- rules pay them again), on the build's longest chain, for an empty table
-- whenever every agency delivered (docs/build-performance.md).
with

-- the periods of a dataset without a delivery in force (rejected, missing, or
-- a year not yet due: the CIT returns and disclosures until the end of March)
gaps as (
    select agency, dataset, period, status
    from {{ ref('dataset_coverage') }}
    where status <> 'complete'
),

-- the months of the tax payments' grid that some activity dataset of REG02
-- is not complete for (or has no row for): the months a silent run may wait on
reg02_gaps as (
    select p.period
    from {{ ref('dataset_coverage') }} as p
    where p.agency = 'tax' and p.dataset = 'payments'
      and (select count(*) from {{ ref('dataset_coverage') }} as o
           where o.period = p.period and o.status = 'complete'
             and (o.agency, o.dataset) in ({{ reg02_activity_datasets() }}))
          < {{ reg02_activity_datasets(count=true) }}
),

-- the annual tax deliveries (CIT returns, related-party disclosures) of a
-- year without one in force: what TP04's, TP03's and REL01's cases wait on
tax_years_waiting as (
    select dataset, period::int as fiscal_year, status
    from gaps
    where agency = 'tax' and dataset in ('cit_returns', 'related_party')
),

-- REL01's disclosure lines held in quarantine (macro rel01_disclosures_held)
{{ rel01_disclosures_held() }},

-- TP01/TP02: a good whose related lines in force are priced past the
-- arm's-length range by a material share, with enough comparables, but
-- fewer lines than the rule's pattern needs, in a year whose customs
-- months not in force may hold more of them (seed 2078: an importer at
-- 2.6 times the median with 2 related lines in the 3 months in force); or a
-- good the rule's pattern held the year before or after, with no related
-- line of it in force in such a year (seed 2080: an importer flagged in 2020
-- and 2022, eight customs months of 2021 never delivered and none of the
-- good's lines in the four that were). An enterprise-year the rule flags
-- for another good does not wait
tp_prices as (
    with

    deviations as not materialized (
        select * from {{ ref('int_customs_price_deviations') }} where enterprise_id is not null
    ),

    goods_waiting as (
        select d.flow, d.enterprise_id, d.tax_code, d.fiscal_year,
               jsonb_build_object('hs_code', d.hs_code, 'unit', d.unit, 'related_lines', d.related_lines,
                                  'comparables', d.comparables,
                                  'shift_share', round(d.shift_share::numeric, 3)) as good
        from deviations as d
        where {{ customs_price_pattern('TP01', short_of_lines=true) }}
           or {{ customs_price_pattern('TP02', short_of_lines=true) }}
        union all
        select n.flow, n.enterprise_id, n.tax_code, y.fiscal_year,
               jsonb_build_object('hs_code', n.hs_code, 'unit', n.unit, 'related_lines', 0,
                                  'pattern_in', n.fiscal_year)
        from deviations as n
        cross join lateral (values ((n.fiscal_year::int - 1)::text), ((n.fiscal_year::int + 1)::text))
            as y (fiscal_year)
        where ({{ customs_price_pattern('TP01', d='n') }} or {{ customs_price_pattern('TP02', d='n') }})
          and not exists (select 1 from deviations as o
                          where o.enterprise_id = n.enterprise_id and o.flow = n.flow and o.hs_code = n.hs_code
                            and o.unit = n.unit and o.fiscal_year = y.fiscal_year)
    )

    select
        case w.flow when 'IM' then 'TP01' else 'TP02' end as rule_code,
        w.enterprise_id, w.tax_code, w.fiscal_year as period,
        g.agency, g.dataset, g.period as waits_on_period, g.status as waits_on_status,
        jsonb_build_object('goods', jsonb_agg(distinct w.good)) as evidence
    from goods_waiting as w
    join gaps as g on g.agency = 'customs' and g.dataset = 'declarations' and left(g.period, 4) = w.fiscal_year
    where not exists (select 1 from {{ ref('flag_tp01_import_overpricing') }} as f
                      where w.flow = 'IM' and f.enterprise_id = w.enterprise_id and f.period = w.fiscal_year)
      and not exists (select 1 from {{ ref('flag_tp02_export_underpricing') }} as f
                      where w.flow = 'EX' and f.enterprise_id = w.enterprise_id and f.period = w.fiscal_year)
    group by w.flow, w.enterprise_id, w.tax_code, w.fiscal_year, g.agency, g.dataset, g.period, g.status
),

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

    {{ reg02_silent_runs() }},

    -- the months between the enterprise's active months (or the window's
    -- ends) none of which has full data: no silent month is observed, so
    -- no run above, yet they may all be silent (seed 2088: four projects
    -- dormant through 2022, a year in which no month had all four activity
    -- datasets, were listed nowhere)
    unobserved_stretches as (
        select s.*, {{ reg02_months_without_full_data('s.may_start', 's.may_end') }} as months_without_full_data
        from (
            select tax_code, projects, min(month_index) as may_start, max(month_index) as may_end
            from (
                select j.*, count(*) filter (where j.is_active) over (partition by j.tax_code order by j.month_index)
                    as stretch_id
                from judged as j
            ) as j
            where not j.is_active
            group by tax_code, projects, stretch_id
            having not bool_or(is_observed)
               and max(month_index) - min(month_index) + 1 >= {{ threshold('REG02', 'min_silent_months') }}
        ) as s
    ),

    waiting as (
        select
            r.tax_code, r.flagged_at, r.months_it_may_span_without_full_data,
            jsonb_build_object(
                'silent_months', r.silent_months,
                'first_silent_month', {{ month_from_index('r.run_start') }},
                'last_silent_month', {{ month_from_index('r.run_end') }},
                'months_without_full_data', r.months_it_may_span_without_full_data,
                'active_projects', r.projects
            ) as evidence
        from runs_with_coverage as r
        where r.silent_months < {{ threshold('REG02', 'min_silent_months') }}
        union all
        -- the flag's period if every month of the stretch proves silent: its twelfth
        select
            u.tax_code, u.may_start + {{ threshold('REG02', 'min_silent_months') }} - 1, u.months_without_full_data,
            jsonb_build_object(
                'silent_months', 0,
                'months_without_full_data', u.months_without_full_data,
                'active_projects', u.projects
            )
        from unobserved_stretches as u
    )

    select
        {{ enterprise_id_from_tax_code('r.tax_code') }} as enterprise_id,
        r.tax_code,
        {{ month_from_index('r.flagged_at') }} as period,
        d.agency, d.dataset,
        m.period as waits_on_period,
        coalesce(c.status, 'missing') as waits_on_status,
        r.evidence
    from waiting as r
    cross join lateral jsonb_array_elements_text(r.months_it_may_span_without_full_data) as m (period)
    cross join (values {{ reg02_activity_datasets() }}) as d (agency, dataset)
    left join {{ ref('dataset_coverage') }} as c
      on c.agency = d.agency and c.dataset = d.dataset and c.period = m.period
    where c.status is distinct from 'complete'
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
    from (select *, bool_or(not sign_needs_months_after) over (partition by enterprise_id, run_id) as has_sign_in_window
          from judged) as j
    left join enterprises as e on e.enterprise_id = j.enterprise_id
    cross join lateral jsonb_array_elements_text(
        case when j.rising_months < {{ threshold('ABS01', 'min_rising_months') }} then coalesce(j.labour_gaps, '[]')
             else '[]' end || coalesce(j.labour_gaps_after, '[]'))
        as g (period)
    left join {{ ref('dataset_coverage') }} as c
      on c.agency = 'labour' and c.dataset = 'employment' and c.period = g.period
    where j.rising_months < {{ threshold('ABS01', 'min_rising_months') }}
       -- a streak long enough whose only signs come after its window: it
       -- waits on the months without data that may extend it
       or not j.has_sign_in_window
    group by j.enterprise_id, e.tax_code, j.run_id, j.labour_gaps, j.labour_gaps_after, g.period, c.status
),

tp04 as (
    with

    {{ tp04_margins() }},

    -- a year whose own figures make the case, and whose year before (its
    -- return) or whose disclosures wait on a delivery; what is known must
    -- hold as in the rule
    candidates as (
        select
            r.*, p.peers, p.margin_p35, rp.related_vnd,
            case when r.prior_year = r.fiscal_year - 1 then null else py.status end as prior_year_waits,
            case when rp.tax_code is null then ry.status end as related_waits
        from compared as r
        join peers as p using (vsic_division, fiscal_year)
        left join peers as pp on pp.vsic_division = r.vsic_division and pp.fiscal_year = r.prior_year
        left join related as rp on rp.tax_code = r.tax_code and rp.fiscal_year = r.fiscal_year
        left join tax_years_waiting as py on py.dataset = 'cit_returns' and py.fiscal_year = r.fiscal_year - 1
        left join tax_years_waiting as ry on ry.dataset = 'related_party' and ry.fiscal_year = r.fiscal_year
        where p.peers >= {{ threshold('TP04', 'min_peers') }}
          and not r.is_startup_year
          and not coalesce(r.fiscal_year - 1 <= r.start_year + {{ threshold('TP04', 'startup_years') }}, false)
          and not exists (select 1 from explained as x
                          where x.enterprise_id = r.enterprise_id and x.period = r.fiscal_year::text)
          and r.ebit_margin < p.margin_p35
          and r.ebit_margin < r.safe_harbour_margin
          and r.ebit_margin < {{ threshold('TP04', 'max_ebit_margin') }}
          -- the year before: its return shows a sustained loss and revenue
          -- holds, or it has none and the year's returns wait on a delivery
          and ((r.prior_year = r.fiscal_year - 1
                and pp.peers >= {{ threshold('TP04', 'min_peers') }}
                and r.prior_margin < pp.margin_p35
                and r.prior_margin < {{ threshold('TP04', 'max_ebit_margin') }}
                and r.weighted_margin < p.weighted_margin_p35
                and r.revenue_vnd >= (1 - {{ threshold('TP04', 'max_revenue_fall') }}) * r.prior_revenue_vnd)
               or (r.prior_year is distinct from r.fiscal_year - 1 and py.status is not null))
          -- material dealings disclosed, or the year's disclosures wait
          and (rp.related_vnd >= {{ threshold('TP04', 'min_related_share') }} * r.revenue_vnd
               or (rp.tax_code is null and ry.status is not null))
    )

    select
        c.enterprise_id, c.tax_code, c.fiscal_year::text as period, 'tax' as agency, w.dataset,
        w.waits_on_period, w.waits_on_status,
        jsonb_strip_nulls(jsonb_build_object(
            'ebit_margin', round(c.ebit_margin, 4),
            'peer_margin_p35', round(c.margin_p35::numeric, 4),
            'safe_harbour_margin', c.safe_harbour_margin,
            'vsic_division', c.vsic_division,
            'peers', c.peers,
            'revenue_vnd', c.revenue_vnd,
            'prior_year_ebit_margin', case when c.prior_year = c.fiscal_year - 1 then round(c.prior_margin, 4) end,
            'related_party_transactions_vnd', c.related_vnd
        )) as evidence
    from candidates as c
    cross join lateral (values
        ('cit_returns', (c.fiscal_year - 1)::text, c.prior_year_waits),
        ('related_party', c.fiscal_year::text, c.related_waits)
    ) as w (dataset, waits_on_period, waits_on_status)
    where w.waits_on_status is not null
),

tp03 as (
    with

    {{ tp03_loss_runs() }},

    -- the years right before a run without a return of the enterprise, when
    -- every one of them waits on its delivery and none is a start-up year
    -- (from the returns' first year for a run the enterprise's returns begin
    -- with), with the run of losses just before them, if any
    gaps_before as (
        select
            m.tax_code, m.fiscal_year as run_start, m.previous_year,
            count(*) as gap_years,
            jsonb_agg(jsonb_build_object('year', y::text, 'status', w.status) order by y) as waiting
        from marked as m
        cross join lateral generate_series(
            coalesce(m.previous_year + 1,
                     (select min(period)::int from {{ ref('dataset_coverage') }}
                      where agency = 'tax' and dataset = 'cit_returns')),
            m.fiscal_year - 1) as y
        left join tax_years_waiting as w on w.dataset = 'cit_returns' and w.fiscal_year = y
        where m.previous_year is distinct from m.fiscal_year - 1
          and m.ebit_vnd < 0 and not m.is_startup_year
        group by m.tax_code, m.fiscal_year, m.previous_year, m.start_year
        having count(*) = count(w.status)
           and not coalesce(bool_or(y <= m.start_year + {{ threshold('TP04', 'startup_years') }}), false)
    ),

    -- the run as it would be: lengthened by the years waiting (and the run
    -- before them) when it is too short, else as the rule sees it
    extended as (
        select
            r.*, rp.related_vnd,
            case when r.years_in_run < {{ threshold('TP03', 'min_loss_years') }} then g.waiting end as years_waiting,
            case when rp.tax_code is null then ry.status end as related_waits,
            r.years_in_run + case when r.years_in_run < {{ threshold('TP03', 'min_loss_years') }}
                                  then g.gap_years + coalesce(pr.years_in_run, 0) else 0 end as loss_years_possible,
            case when r.years_in_run < {{ threshold('TP03', 'min_loss_years') }}
                 then coalesce(pr.run_start, r.run_start - g.gap_years) else r.run_start end as first_loss_year_possible,
            -- null when the run would begin with a year without a return
            case when r.years_in_run < {{ threshold('TP03', 'min_loss_years') }}
                 then pr.revenue_at_start else r.revenue_at_start end as revenue_at_start_possible
        from runs as r
        left join gaps_before as g on g.tax_code = r.tax_code and g.run_start = r.run_start
        left join runs as pr on pr.tax_code = r.tax_code and pr.fiscal_year = g.previous_year
        left join related as rp on rp.tax_code = r.tax_code and rp.fiscal_year = r.fiscal_year
        left join tax_years_waiting as ry on ry.dataset = 'related_party' and ry.fiscal_year = r.fiscal_year
        -- material dealings disclosed, or the year's disclosures wait
        where rp.related_vnd >= {{ threshold('TP04', 'min_related_share') }} * r.revenue_vnd
           or (rp.tax_code is null and ry.status is not null)
    ),

    -- long enough, and growing or given capital as in the rule where the
    -- run's first year is known (capital over the years in force)
    candidates as (
        select
            e.*,
            coalesce((select sum(c.amount_usd) from capital_added as c
                      where c.tax_code = e.tax_code and c.fiscal_year between e.first_loss_year_possible and e.fiscal_year), 0)
                as capital_added_usd
        from extended as e
        where e.loss_years_possible >= {{ threshold('TP03', 'min_loss_years') }}
    )

    select
        c.enterprise_id, c.tax_code, c.fiscal_year::text as period, 'tax' as agency, w.dataset,
        w.waits_on_period, w.waits_on_status,
        jsonb_strip_nulls(jsonb_build_object(
            'loss_years', c.years_in_run,
            'loss_years_possible', c.loss_years_possible,
            'first_loss_year', c.run_start,
            'first_loss_year_possible', c.first_loss_year_possible,
            'losses_in_run_vnd', c.losses_in_run_vnd,
            'revenue_first_loss_year_vnd', c.revenue_at_start_possible,
            'revenue_vnd', c.revenue_vnd,
            'capital_added_usd', c.capital_added_usd,
            'related_party_vnd', c.related_vnd
        )) as evidence
    from candidates as c
    cross join lateral (
        select 'cit_returns' as dataset, y ->> 'year' as waits_on_period, y ->> 'status' as waits_on_status
        from jsonb_array_elements(coalesce(c.years_waiting, '[]')) as y
        union all
        select 'related_party', c.fiscal_year::text, c.related_waits
    ) as w
    where w.waits_on_status is not null
      -- growth or capital, as in the rule, unless the run would begin with a
      -- year without a return (its revenue unknown)
      and (c.revenue_at_start_possible is null or c.revenue_vnd > c.revenue_at_start_possible
           or c.capital_added_usd > 0)
),

-- TP05: a year without the enterprise's return, its CIT returns rejected,
-- not delivered or not yet due, that the rule flagged the year before or
-- after, with a foreign or related-party loan of the year (or its
-- disclosures waiting too): the return decides (seed 2082: eight firms
-- flagged in 2019, 2020 and 2023, the returns of 2021 and 2022 never
-- delivered). And a year whose own return makes the case with no foreign
-- loan in the credit register, while its disclosures (which may show a
-- related-party loan) wait
tp05 as (
    with

    {{ tp05_interest_capacity() }},

    flagged_beside as (
        select f.enterprise_id, f.tax_code, w.fiscal_year, w.status,
               jsonb_object_agg(f.period, f.evidence -> 'interest_share_of_capacity')
                   as interest_share_of_capacity_in_years_flagged
        from {{ ref('flag_tp05_interest_cap') }} as f
        join tax_years_waiting as w
          on w.dataset = 'cit_returns' and w.fiscal_year in (f.period::int - 1, f.period::int + 1)
        where not exists (select 1 from {{ ref('fct_tax_returns') }} as t
                          where t.tax_code = f.tax_code and t.fiscal_year = w.fiscal_year)
        group by f.enterprise_id, f.tax_code, w.fiscal_year, w.status
    )

    select
        b.enterprise_id, b.tax_code, b.fiscal_year::text as period, 'tax' as agency, 'cit_returns' as dataset,
        b.fiscal_year::text as waits_on_period, b.status as waits_on_status,
        jsonb_strip_nulls(jsonb_build_object(
            'interest_share_of_capacity_in_years_flagged', b.interest_share_of_capacity_in_years_flagged,
            'foreign_or_related_lenders', l.lenders,
            'related_party_interest_or_loans', rl.counterparties
        )) as evidence
    from flagged_beside as b
    left join foreign_loans as l on l.tax_code = b.tax_code and l.fiscal_year = b.fiscal_year
    left join related_loans as rl on rl.tax_code = b.tax_code and rl.fiscal_year = b.fiscal_year
    where l.tax_code is not null or rl.tax_code is not null
       or exists (select 1 from tax_years_waiting as ry
                  where ry.dataset = 'related_party' and ry.fiscal_year = b.fiscal_year)
    union all
    select
        r.enterprise_id, r.tax_code, r.fiscal_year::text, 'tax', 'related_party',
        w.fiscal_year::text, w.status,
        jsonb_build_object(
            'interest_expense_vnd', r.interest_expense_vnd,
            'ebitda_vnd', r.ebitda_vnd,
            'earning_capacity_vnd', round(c.capacity_vnd::numeric),
            'interest_share_of_capacity',
            case when c.capacity_vnd > 0 then round(r.interest_expense_vnd::numeric / c.capacity_vnd::numeric, 4) end
        )
    from returns as r
    join capacity as c on c.tax_code = r.tax_code and c.fiscal_year = r.fiscal_year
    left join prior as pr on pr.tax_code = r.tax_code and pr.fiscal_year = r.fiscal_year
    join tax_years_waiting as w on w.dataset = 'related_party' and w.fiscal_year = r.fiscal_year
    where {{ tp05_figures_make_the_case() }}
      and not exists (select 1 from foreign_loans as l where l.tax_code = r.tax_code and l.fiscal_year = r.fiscal_year)
),

-- TP06: a year without the enterprise's return, its CIT returns waiting,
-- whose disclosed fees pass the share of the revenue of its nearest return
-- not of a start-up year (of two as near, the larger). A firm's revenue is
-- near its neighbouring year's: on seed 2082's 2019 and 2020, whose returns
-- came, read this way 3 and 2 enterprises pass the share, each one of the 3
-- and 3 that pass it on their own revenue. A start-up's first years'
-- revenue made 26 of 2024's fees look past it, and the larger of the
-- nearest before and after, two years on, hid a planted 6 %. The return
-- decides whether the year is a loss and what its revenue is. And a loss
-- year whose disclosures wait, whose fees passed the share of revenue in
-- the nearest year with both a disclosure and a return (of two as near,
-- the smaller share; a share, not an amount: seed 2082's start-ups, their
-- first return in 2023 a loss on little revenue, paid fees a year later
-- that 2023's revenue would make 5 to 39 %)
tp06 as (
    with

    {{ tp06_fees() }},

    started as (
        {{ enterprise_start_years() }}
    ),

    -- the returns with revenue, and whether the year is a start-up year (as
    -- TP03 and TP04 count them): a start-up's revenue is no measure of a
    -- later year's
    revenues as (
        select t.tax_code, t.fiscal_year, t.revenue_vnd, t.profit_before_tax_vnd,
               {{ is_startup_year('t.fiscal_year', 's.start_year') }} as is_startup_year
        from {{ ref('fct_tax_returns') }} as t
        left join started as s on s.tax_code = t.tax_code
        where t.revenue_vnd > 0
    ),

    -- a year's fees without its return, and the revenue of the nearest year
    -- read in its place (a join and a sort, not a subquery per year: that took
    -- 2 s on seed 2082)
    revenue_read as (
        select distinct on (f.tax_code, f.fiscal_year)
            f.tax_code, f.fiscal_year, f.fees_vnd, f.counterparties, w.status,
            v.fiscal_year as year_read, v.revenue_vnd
        from fees as f
        join tax_years_waiting as w on w.dataset = 'cit_returns' and w.fiscal_year = f.fiscal_year
        join revenues as v on v.tax_code = f.tax_code and v.fiscal_year <> f.fiscal_year and not v.is_startup_year
        where not exists (select 1 from {{ ref('fct_tax_returns') }} as t
                          where t.tax_code = f.tax_code and t.fiscal_year = f.fiscal_year)
        order by f.tax_code, f.fiscal_year, abs(v.fiscal_year - f.fiscal_year), v.revenue_vnd desc
    ),

    -- a loss year without disclosures, and the share of revenue its fees were
    -- in the nearest year with both
    share_read as (
        select distinct on (r.tax_code, r.fiscal_year)
            r.tax_code, r.fiscal_year, r.revenue_vnd, r.profit_before_tax_vnd, w.status,
            e.fiscal_year as year_read, e.fees_vnd::numeric / v.revenue_vnd as share
        from revenues as r
        join tax_years_waiting as w on w.dataset = 'related_party' and w.fiscal_year = r.fiscal_year
        join fees as e on e.tax_code = r.tax_code and e.fiscal_year <> r.fiscal_year
        join revenues as v on v.tax_code = e.tax_code and v.fiscal_year = e.fiscal_year
        where r.profit_before_tax_vnd < 0
        order by r.tax_code, r.fiscal_year, abs(e.fiscal_year - r.fiscal_year), e.fees_vnd::numeric / v.revenue_vnd
    )

    select
        {{ enterprise_id_from_tax_code('n.tax_code') }} as enterprise_id, n.tax_code, n.fiscal_year::text as period,
        'tax' as agency, 'cit_returns' as dataset, n.fiscal_year::text as waits_on_period, n.status as waits_on_status,
        jsonb_build_object(
            'fees_vnd', n.fees_vnd,
            'counterparties', n.counterparties,
            'revenue_read_vnd', n.revenue_vnd,
            'revenue_read_of_year', n.year_read,
            'fees_share_of_revenue_read', round(n.fees_vnd::numeric / n.revenue_vnd, 4)
        ) as evidence
    from revenue_read as n
    where n.fees_vnd > {{ threshold('TP06', 'max_fee_share') }} * n.revenue_vnd
    union all
    select
        {{ enterprise_id_from_tax_code('n.tax_code') }}, n.tax_code, n.fiscal_year::text,
        'tax', 'related_party', n.fiscal_year::text, n.status,
        jsonb_build_object(
            'revenue_vnd', n.revenue_vnd,
            'profit_before_tax_vnd', n.profit_before_tax_vnd,
            'fees_share_of_revenue_in_year_read', round(n.share, 4),
            'year_read', n.year_read
        )
    from share_read as n
    where n.share > {{ threshold('TP06', 'max_fee_share') }}
),

-- TP07: a year with a profit remitted abroad and no return of the
-- enterprise, its CIT returns waiting: the return decides whether the year
-- is a loss or carries losses (seed 2082: 72 to 74 remitters a year in the
-- years without returns, two of them planted). And, as the rule reads the
-- losses carried forward at the end of the year before from that year's
-- return only, such a year whose own return shows neither a loss nor
-- losses carried forward (or is missing too) while the year before's
-- returns wait
tp07 as (
    with

    {{ tp07_repatriations() }}

    select
        {{ enterprise_id_from_tax_code('p.tax_code') }} as enterprise_id, p.tax_code, p.fiscal_year::text as period,
        'tax' as agency, 'cit_returns' as dataset, w.fiscal_year::text as waits_on_period, w.status as waits_on_status,
        jsonb_strip_nulls(jsonb_build_object(
            'repatriated_usd', p.amount_usd,
            'repatriated_vnd', p.amount_vnd,
            'transfers', p.transfers,
            'first_transfer_on', p.first_transfer_on,
            'counterparties', p.counterparties,
            'profit_before_tax_vnd', t.profit_before_tax_vnd,
            'loss_carried_forward_prior_year_vnd', pt.loss_carried_forward_vnd
        )) as evidence
    from repatriated as p
    join tax_years_waiting as w
      on w.dataset = 'cit_returns' and w.fiscal_year in (p.fiscal_year, p.fiscal_year - 1)
    left join {{ ref('fct_tax_returns') }} as t on t.tax_code = p.tax_code and t.fiscal_year = p.fiscal_year
    left join {{ ref('fct_tax_returns') }} as pt on pt.tax_code = p.tax_code and pt.fiscal_year = p.fiscal_year - 1
    where p.amount_vnd > {{ threshold('TP07', 'min_repatriation_vnd') }}
      and ((w.fiscal_year = p.fiscal_year and t.tax_code is null)
           or (w.fiscal_year = p.fiscal_year - 1 and pt.tax_code is null
               and (t.tax_code is null
                    or (coalesce(t.profit_before_tax_vnd, 0) >= 0 and coalesce(t.loss_carried_forward_vnd, 0) = 0))))
),

nom01 as (
    with

    {{ nom01_signs() }},

    -- the kinds of sign an enterprise showed the year before or after but
    -- not in the year, with each month not in force of a dataset that
    -- showed the kind and could show it in the year (one row per month):
    -- the year's months (a month's snapshot of loans or parcels, a flow,
    -- a customs line show their own month), and for a foreign manager
    -- those of the two years before too (a work permit runs up to two
    -- years, Decree 152/2020/NĐ-CP art. 10: one issued then may run into
    -- the year)
    nom01_unseen as (
        select distinct y.enterprise_id, y.year, s.sign, g.agency, g.dataset, g.period, g.status
        from years as y
        join signs as s on s.enterprise_id = y.enterprise_id and s.year in (y.year - 1, y.year + 1)
        join gaps as g
          on g.agency = s.agency and g.dataset = s.dataset
         and g.period between (y.year - case when s.sign = 'manager' then 2 else 0 end)::text || '-01'
                          and y.year::text || '-12'
        where not exists (select 1 from signs as t
                          where t.enterprise_id = y.enterprise_id and t.year = y.year and t.sign = s.sign)
    ),

    -- the years short of min_signs that those kinds would bring to it
    nom01_short as (
        select u.enterprise_id, u.year, coalesce(p.sign_kinds, 0) as sign_kinds,
               coalesce(p.details, '[]') as details, jsonb_agg(distinct u.sign) as kinds_unseen
        from nom01_unseen as u
        left join per_year as p on p.enterprise_id = u.enterprise_id and p.year = u.year
        group by 1, 2, 3, 4
        having coalesce(p.sign_kinds, 0) < {{ threshold('NOM01', 'min_signs') }}
           and coalesce(p.sign_kinds, 0) + count(distinct u.sign) >= {{ threshold('NOM01', 'min_signs') }}
    ),

    -- the register's foreign-invested enterprises none of whose investors
    -- was loaded (their projects came after the last investors snapshot in
    -- force): their parents are groups the network does not know yet, with
    -- the month their first such project was issued (a snapshot from then on
    -- names its investors)
    investors_unknown as (
        select min(to_char(p.issued_on, 'YYYY-MM')) as from_period
        from {{ ref('stg_registry__projects') }} as p
        where p.foreign_ownership_pct > 0 and p.tax_code is not null
          and not exists (select 1 from relationships as r
                          where r.enterprise_id = {{ enterprise_id_from_tax_code('p.tax_code') }}
                            and r.agency = 'registry' and r.relationship in ('investor', 'ultimate_parent'))
    ),

    -- a year one kind of sign short whose foreign lender (credit, fx) is no
    -- known group's party: were it the parent of one of those enterprises,
    -- its loan would be the money sign (seed 2080: two nominees' backers
    -- registered their first projects in 2023 and 2024, and the investors
    -- snapshots after July 2022 never came)
    -- the foreign lenders no known group's party, found once: read inside the
    -- join below, the network was scanned once per enterprise-year (the
    -- planner took the years for 10 rows; 12 s on seed 2082, 5,074 of them)
    lenders_unknown as materialized (
        select r.enterprise_id, r.first_seen, r.last_seen, r.related_party_name, r.related_party_country, r.agency
        from relationships as r
        where r.relationship in ('lender', 'investor') and r.agency in ('credit', 'fx')
          and coalesce(r.related_party_country, 'VN') <> 'VN'
          and r.related_party not in (select gp.party from group_parties as gp)
    ),

    nom01_party_unknown as (
        select y.enterprise_id, y.year, coalesce(p.sign_kinds, 0) as sign_kinds,
               coalesce(p.details, '[]') as details,
               jsonb_agg(distinct jsonb_build_object('party', r.related_party_name,
                                                     'country', r.related_party_country,
                                                     'agency', r.agency)) as lenders
        from years as y
        join lenders_unknown as r
          on r.enterprise_id = y.enterprise_id
         and r.first_seen <= make_date(y.year, 12, 31) and r.last_seen >= make_date(y.year, 1, 1)
        left join per_year as p on p.enterprise_id = y.enterprise_id and p.year = y.year
        where coalesce(p.sign_kinds, 0) + 1 = {{ threshold('NOM01', 'min_signs') }}
        group by 1, 2, 3, 4
    )

    -- an enterprise first seen by its code after the last register snapshot
    -- loaded, with enough signs: it waits on each register month from its
    -- first record by code that was rejected or not delivered
    select
        p.enterprise_id, d.tax_code, p.year::text as period, 'registry' as agency, 'projects' as dataset,
        c.period as waits_on_period, c.status as waits_on_status,
        jsonb_build_object(
            'sign_kinds', p.sign_kinds,
            'signs', p.details,
            'first_seen_by_tax_code', d.first_seen_period
        ) as evidence
    from per_year as p
    join domestic as d on d.enterprise_id = p.enterprise_id
    join {{ ref('dataset_coverage') }} as c
      on c.agency = 'registry' and c.dataset = 'projects' and c.period >= d.first_seen_period
     and c.status in ('rejected', 'missing')
    where p.sign_kinds >= {{ threshold('NOM01', 'min_signs') }}
    union all
    -- a year short of min_signs that would reach it with the kinds of sign
    -- the enterprise showed the year before or after (seed 2066: a
    -- nominee's loan, seen in the credit snapshots of 2021-2023, and those
    -- of 2024 never delivered): it waits on each month not in force that
    -- could show them. A kind not shown in a neighbouring year is not
    -- looked for: one sign alone is ordinary, and every enterprise with one
    -- would wait on every gap.
    select
        y.enterprise_id, d.tax_code, y.year::text, m.agency, m.dataset, m.period, m.status,
        jsonb_build_object(
            'sign_kinds', y.sign_kinds,
            'signs', y.details,
            'signs_shown_in_a_neighbouring_year', y.kinds_unseen
        )
    from nom01_short as y
    join domestic as d on d.enterprise_id = y.enterprise_id
    join (select distinct enterprise_id, year, agency, dataset, period, status from nom01_unseen) as m
      on m.enterprise_id = y.enterprise_id and m.year = y.year
    union all
    -- a year one sign short with a foreign lender no known group's party,
    -- while the register holds foreign-invested enterprises whose investors
    -- were never loaded: it waits on each investors month from the first of
    -- their projects' issue rejected or not delivered (any of them names
    -- their parents). A lender is looked for, not a trade partner: on seed
    -- 2080, 17 enterprise-years with one sign traded mostly with one foreign
    -- partner no group was known for, none of them a nominee's backer
    select
        y.enterprise_id, d.tax_code, y.year::text, g.agency, g.dataset, g.period, g.status,
        jsonb_build_object(
            'sign_kinds', y.sign_kinds,
            'signs', y.details,
            'lenders_not_known_as_a_group', y.lenders,
            'investors_unknown_from', u.from_period
        )
    from nom01_party_unknown as y
    join domestic as d on d.enterprise_id = y.enterprise_id
    cross join investors_unknown as u
    join gaps as g
      on g.agency = 'registry' and g.dataset = 'investors' and g.period >= u.from_period
     and g.status in ('rejected', 'missing')
),

reg01 as (
    with

    {{ reg01_stale_projects() }},

    -- the register months without a snapshot in force after the last one
    -- loaded: a month before it is settled by it (in it, a project still
    -- active past its term is flagged, one the register has since closed or
    -- dropped is not a case), so only these can hold a finding back
    register_tail as (
        select g.period, g.status, l.last_loaded
        from gaps as g
        cross join (select max(c.period) as last_loaded from {{ ref('dataset_coverage') }} as c
                    where c.agency = 'registry' and c.dataset = 'projects' and c.status = 'complete') as l
        where g.agency = 'registry' and g.dataset = 'projects' and g.period > l.last_loaded
    ),

    -- a project the last snapshot loaded shows active, whose term (and
    -- grace) had ended by a month after it, and that no snapshot in force
    -- shows active past its term (else the rule flags it, on the same period)
    lapsed_unseen as (
        select
            s.tax_code, s.project_code, s.expires_on, s.snapshot_period, g.period as waits_on_period,
            g.status as waits_on_status,
            {{ reg01_period('s.expires_on', 'w.first_period') }} as period
        from register_tail as g
        join snapshots as s on s.snapshot_period = g.last_loaded
        cross join window_start as w
        where s.status = 'active'
          and {{ reg01_lapsed_by('s.expires_on', 'g.period') }}
          and not exists (select 1 from stale as st where st.project_code = s.project_code)
    )

    select
        {{ enterprise_id_from_tax_code('l.tax_code') }} as enterprise_id,
        l.tax_code, l.period, 'registry' as agency, 'projects' as dataset,
        l.waits_on_period, l.waits_on_status,
        jsonb_build_object(
            'projects', jsonb_agg(jsonb_build_object(
                'project_code', l.project_code, 'expires_on', l.expires_on,
                'last_snapshot_active', l.snapshot_period) order by l.project_code)
        ) as evidence
    from lapsed_unseen as l
    group by l.tax_code, l.period, l.waits_on_period, l.waits_on_status
),

rel01 as (
    with

    returns as (
        select distinct enterprise_id, tax_code, fiscal_year::int as fiscal_year from {{ ref('fct_tax_returns') }}
    ),

    -- the customs and fx months of a year without a delivery in force, counted per dataset
    trade_gaps as (
        select agency, dataset, period, status, left(period, 4)::int as fiscal_year,
               count(*) over (partition by agency, dataset, left(period, 4)) as months_missing
        from gaps
        where (agency, dataset) in (('customs', 'declarations'), ('fx', 'capital_flows'))
    ),

    -- the enterprise-years a missing period or a held-back line holds back: those with a return in a
    -- year whose disclosures wait, every enterprise with a tax code in a year whose returns wait (its
    -- return may be in that delivery), those with a return whose disclosure lines are held in
    -- quarantine, and those with a return in a year with customs or fx months not in force
    years_held_back as (
        select t.enterprise_id, t.tax_code, t.fiscal_year
        from returns as t
        join tax_years_waiting as w on w.dataset = 'related_party' and w.fiscal_year = t.fiscal_year
        union
        select e.enterprise_id, e.tax_code, w.fiscal_year
        from {{ ref('dim_enterprise') }} as e
        join tax_years_waiting as w on w.dataset = 'cit_returns'
        where e.tax_code is not null
        union
        select t.enterprise_id, t.tax_code, t.fiscal_year
        from returns as t
        join disclosures_held as h on h.tax_code_stem = left(t.tax_code, 9) and h.fiscal_year = t.fiscal_year
        union
        select t.enterprise_id, t.tax_code, t.fiscal_year
        from returns as t
        where t.fiscal_year in (select fiscal_year from trade_gaps)
    ),

    {{ rel01_undisclosed_dealings('years_held_back') }},

    -- the cases: as in the rule, undisclosed dealings worth the threshold, or a loan (`is_case`); or
    -- (not `is_case`) a value short of the threshold on the customs and fx months in force that would
    -- reach it were the months not in force like the year's others, each dataset's part scaled to
    -- twelve months (`scaled_vnd`): the missing months may carry it over. A year with nothing
    -- undisclosed in the months in force has nothing to be listed by.
    cases as (
        select p.*, x.scaled_vnd,
               p.undisclosed_vnd >= {{ threshold('REL01', 'min_undisclosed_vnd') }} or p.has_loan as is_case
        from per_year as p
        cross join lateral (
            select
                coalesce(p.customs_vnd * 12 / nullif(12 - max(m.months_missing) filter (where m.agency = 'customs'), 0),
                         p.customs_vnd)
                + coalesce(p.fx_vnd * 12 / nullif(12 - max(m.months_missing) filter (where m.agency = 'fx'), 0),
                           p.fx_vnd) as scaled_vnd
            from trade_gaps as m
            where m.fiscal_year = p.fiscal_year
        ) as x
        where p.undisclosed_vnd >= {{ threshold('REL01', 'min_undisclosed_vnd') }} or p.has_loan
           or (p.undisclosed_vnd > 0 and x.scaled_vnd >= {{ threshold('REL01', 'min_undisclosed_vnd') }})
    )

    -- a case waits on its year's disclosures when they were rejected or never came, and on its year's
    -- CIT returns when those were and the enterprise has none in force (the rule judges a year with
    -- its return)
    select
        p.enterprise_id, p.tax_code, p.fiscal_year::text as period, 'tax' as agency, w.dataset,
        w.fiscal_year::text as waits_on_period, w.status as waits_on_status,
        jsonb_strip_nulls(jsonb_build_object(
            'undisclosed_vnd', p.undisclosed_vnd,
            'undisclosed_vnd_scaled_to_the_year', case when not p.is_case then round(p.scaled_vnd) end,
            'loan_balance_vnd', p.balance_vnd,
            'dealings', p.dealings
        )) as evidence
    from cases as p
    join tax_years_waiting as w on w.fiscal_year = p.fiscal_year
    where w.dataset = 'related_party'
       or not exists (select 1 from returns as r where r.tax_code = p.tax_code and r.fiscal_year = p.fiscal_year)
    union all
    -- in a year whose disclosures were delivered, on the agency's corrected delivery when the
    -- enterprise's disclosure lines of the year are held in quarantine (the lines may name the party)
    select
        p.enterprise_id, p.tax_code, p.fiscal_year::text, 'tax', 'related_party',
        p.fiscal_year::text, 'quarantined',
        jsonb_strip_nulls(jsonb_build_object(
            'undisclosed_vnd', p.undisclosed_vnd,
            'undisclosed_vnd_scaled_to_the_year', case when not p.is_case then round(p.scaled_vnd) end,
            'loan_balance_vnd', p.balance_vnd,
            'dealings', p.dealings,
            'disclosure_lines_quarantined', h.lines
        ))
    from cases as p
    join disclosures_held as h on h.tax_code_stem = left(p.tax_code, 9) and h.fiscal_year = p.fiscal_year
    where not exists (select 1 from tax_years_waiting as w
                      where w.dataset = 'related_party' and w.fiscal_year = p.fiscal_year)
    union all
    -- and a case only at the year's rate, on each customs and fx month of the year not in force
    select
        p.enterprise_id, p.tax_code, p.fiscal_year::text, g.agency, g.dataset, g.period, g.status,
        jsonb_build_object(
            'undisclosed_vnd', p.undisclosed_vnd,
            'undisclosed_vnd_scaled_to_the_year', round(p.scaled_vnd),
            'dealings', p.dealings
        )
    from cases as p
    join trade_gaps as g on g.fiscal_year = p.fiscal_year
    where not p.is_case
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
    where exists (select 1 from gaps where agency = 'fx' and dataset = 'capital_flows')
    union all
    select 'REG02', * from reg02
    where exists (select 1 from reg02_gaps)
    union all
    select 'ABS01', * from abs01
    where exists (select 1 from gaps where agency = 'labour' and dataset = 'employment')
    -- the rules whose cases wait on a year of returns or disclosures
    {%- for rule_code in ['TP04', 'TP03', 'TP05', 'TP06', 'TP07'] %}
    union all
    select '{{ rule_code }}', * from {{ rule_code | lower }}
    where exists (select 1 from tax_years_waiting)
    {%- endfor %}
    union all
    select 'NOM01', * from nom01
    where exists (select 1 from gaps
                  where (agency, dataset) in (('registry', 'projects'), ('registry', 'investors'),
                                              ('labour', 'work_permits'),
                                              ('credit', 'loans'), ('fx', 'capital_flows'),
                                              ('land', 'leases'), ('customs', 'declarations')))
    union all
    select * from tp_prices
    where exists (select 1 from gaps where agency = 'customs' and dataset = 'declarations')
    union all
    select 'REG01', * from reg01
    where exists (select 1 from gaps where agency = 'registry' and dataset = 'projects')
    union all
    select 'REL01', * from rel01
    where exists (select 1 from tax_years_waiting) or exists (select 1 from disclosures_held)
       or exists (select 1 from gaps
                  where (agency, dataset) in (('customs', 'declarations'), ('fx', 'capital_flows')))
) as w
