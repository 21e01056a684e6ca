-- ABS01 owner absconding. Grain: one row per enterprise and month (period
-- YYYY-MM): the month in which rising social-insurance arrears and a
-- corroborating sign of a departing owner are first both seen.
--
-- Method (docs/rule_abs01.md): foreign owners who leave typically stop paying
-- social insurance for months first (arrears: Law on Social Insurance
-- 58/2014/QH13 Art. 122), then move money out and stop filing. Flagged when
-- the enterprise's arrears rose in at least 3 consecutive months AND, from
-- the start of that run to 3 months after its end, at least one of: a work
-- stoppage with cause owner_absconded, an fx divestment or capital_transfer
-- outflow, or its monthly tax payments stopping. Labour records are tied to
-- the enterprise by entity resolution (marts.fct_employment).
--
-- A gap in the data is never read as evidence (version 1.1): a rise is an
-- increase between two observed months of the enterprise, consecutive or
-- with only months of labour data rejected or missing between them
-- (marts.dataset_coverage). Such a month neither breaks a streak nor makes
-- one: the rise across it counts once, however many months it spans, and
-- the summary names it. The first month an enterprise is observed has
-- nothing to rise from, and an enterprise absent from a complete month
-- breaks the streak: the next observation starts a new one. The streak
-- needs min_rising_months (3) observed rises; it runs from the month after
-- the observation it rose from to its last rise, and the flag's month is
-- counted on those dates (so a gap month delivered later, rising too,
-- does not move it). Tax payments "stop" only at a month whose payments
-- data is complete. A streak with a sign that reaches min_rising_months
-- only if each month a rise spans rose too is listed in
-- risk.judgements_waiting. The streaks and signs: macro abs01_rising_streaks,
-- which both read.
with

{{ abs01_rising_streaks() }},

findings as (
    select
        j.enterprise_id,
        e.tax_code,
        {{ month_from_index('min(j.flag_month)') }} as period,
        {{ risk_score("count(distinct j.sign_kind)", 1, threshold('ABS01', 'full_score_signs')) }} as score,
        null::numeric as amount_at_stake_vnd,
        'Nợ bảo hiểm xã hội tăng ' || max(j.rising_months)
            || case when j.labour_gaps is null then ' tháng liên tiếp ('
                    else ' lần liên tiếp giữa các tháng có dữ liệu (' end
            || {{ month_from_index('min(j.run_start)') }}
            || '–' || {{ month_from_index('max(j.run_end)') }} || ', cao nhất ' || {{ vn_number('max(j.peak_arrears_vnd)') }}
            || ' VND) kèm dấu hiệu chủ doanh nghiệp bỏ trốn: ' || string_agg(distinct j.sign, '; ') || '.'
            -- a month without labour data inside the streak is neither a rise nor a fall: said, not hidden
            || coalesce(' Trong khoảng này, ' || jsonb_array_length(j.labour_gaps)
                        || ' tháng thiếu dữ liệu lao động (không rõ nợ tăng hay giảm, không tính là tháng tăng): '
                        || (select string_agg(m, ', ' order by m)
                            from jsonb_array_elements_text(j.labour_gaps) as m)
                        || '.', '') as summary,
        jsonb_build_object(
            'threshold', {{ threshold_sentence('social-insurance arrears rising {ABS01.min_rising_months} consecutive months plus a stoppage owner_absconded, a capital outflow or tax payments stopping') }},
            'min_rising_months', {{ threshold('ABS01', 'min_rising_months') }},
            'rising_months', max(j.rising_months),
            'first_rising_month', {{ month_from_index('min(j.run_start)') }},
            'last_rising_month', {{ month_from_index('max(j.run_end)') }},
            'peak_arrears_vnd', max(j.peak_arrears_vnd),
            'months_observed', max(j.months_observed),
            'labour_months_without_data', coalesce(j.labour_gaps, '[]'::jsonb),
            'signs', jsonb_agg(distinct j.sign)
        ) as evidence
    from judged as j
    left join enterprises as e on e.enterprise_id = j.enterprise_id
    where j.rising_months >= {{ threshold('ABS01', 'min_rising_months') }}
      and not j.sign_needs_months_after
    group by j.enterprise_id, e.tax_code, j.run_id, j.labour_gaps
)

{{ risk_flag_columns('ABS01', '1.1') }}
