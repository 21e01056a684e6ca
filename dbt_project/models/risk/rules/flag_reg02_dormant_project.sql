-- REG02 active project of an enterprise with no activity anywhere. Grain: one
-- row per enterprise and month (period YYYY-MM): the twelfth consecutive month
-- without tax, customs, labour or fx activity while it holds an active project.
--
-- Method (docs/rule_reg02.md): an investor that does not carry out its project
-- for 12 consecutive months is a ground to terminate it (Law on Investment
-- 61/2020/QH14 Art. 48.2(d)). Activity in a month = a tax payment or a CIT
-- return filed, a customs line, a social-insurance (labour) record tied to
-- the enterprise by entity resolution, or an fx capital-account transaction.
-- Months are counted within the months the warehouse holds data for.
--
-- A gap in the data is never read as silence: a month shows silence only
-- when all four activity datasets (tax payments, customs, labour, fx) are
-- complete for it (marts.dataset_coverage). A month without full data is
-- neither silence nor activity (version 1.2): it does not break a run, but
-- it is not counted either. The threshold and the score count the observed
-- silent months only, so a run that reaches 12 months only by counting such
-- months is not flagged (not yet: it is when the month arrives and shows
-- silence, or the run goes on); the summary and the evidence name them, and
-- risk.judgements_waiting lists such a run with each month it waits on.
-- The runs: macro reg02_silent_runs, which both read.
-- The flag's period is the twelfth month counted on the dates from the
-- run's first silent month, so a month without data delivered later and
-- silent too does not move it (nor the flag's id, which keeps its reviews).
with

{{ reg02_silent_runs() }},

findings as (
    select
        {{ enterprise_id_from_tax_code('tax_code') }} as enterprise_id,
        tax_code,
        {{ month_from_index('flagged_at') }} as period,
        {{ risk_score('silent_months', threshold('REG02', 'min_silent_months'), threshold('REG02', 'full_score_silent_months')) }} as score,
        null::numeric as amount_at_stake_vnd,
        'Dự án ' || projects || ' vẫn hoạt động trong sổ đăng ký nhưng doanh nghiệp không có nộp thuế, hải quan, lao động hay giao dịch vốn trong '
            || silent_months
            || case when jsonb_array_length(months_without_full_data) > 0 then ' tháng có đủ dữ liệu' else ' tháng liên tiếp' end
            || ' (từ ' || {{ month_from_index('run_start') }} || ' đến ' || {{ month_from_index('run_end') }} || ').'
            -- a month without full data inside the span is neither silence nor activity: said, not counted
            || case when jsonb_array_length(months_without_full_data) > 0
                    then ' Trong khoảng này, ' || jsonb_array_length(months_without_full_data)
                         || ' tháng thiếu dữ liệu (không rõ có hoạt động hay không, không được tính): '
                         || (select string_agg(m, ', ' order by m) from jsonb_array_elements_text(months_without_full_data) as m)
                         || '.'
                    else '' end as summary,
        jsonb_build_object(
            'threshold', {{ threshold_sentence('no tax, customs, labour or fx activity for {REG02.min_silent_months} consecutive months with an active project (Law on Investment 2020 Art. 48.2(d))') }},
            'min_silent_months', {{ threshold('REG02', 'min_silent_months') }},
            'silent_months', silent_months,
            'first_silent_month', {{ month_from_index('run_start') }},
            'last_silent_month', {{ month_from_index('run_end') }},
            'active_projects', projects,
            'months_observed', months_observed,
            'months_without_full_data', months_without_full_data
        ) as evidence
    from runs_with_coverage
    where silent_months >= {{ threshold('REG02', 'min_silent_months') }}
)

{{ risk_flag_columns('REG02', '1.3') }}
