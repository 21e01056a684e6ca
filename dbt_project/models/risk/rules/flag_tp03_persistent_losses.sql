-- TP03 persistent operating losses while the business grows. Grain: one row
-- per enterprise and fiscal year (period YYYY) that is at least the third
-- loss year of a run of consecutive years, each with a return showing a loss.
--
-- Method (docs/rule_tp03.md): a firm that keeps losing money for three years
-- or more, yet grows its revenue or receives new capital, is not behaving as
-- an independent business would (Decree 132/2020/ND-CP Art. 17: the tax
-- authority reviews taxpayers with losses in consecutive years). The loss is
-- the operating result (EBIT = revenue - cost of goods - operating expenses
-- from the CIT return): a loss made only by interest is TP05's finding.
--
-- Since 1.4 two conditions tell a transfer-pricing loss-maker from an honest
-- start-up whose factory takes three or four years to reach its scale (held
-- to reality by the generator's long start-ups, docs/generator.md):
--   * the start-up years (the year operations began and the next TP04
--     startup_years, as TP04 leaves them out) are honest losses and do not
--     count towards the run: the run counts loss years after them. Since
--     1.5 operations begin in the first year with revenue when returns
--     without any come before it (a plant built first), else at the latest
--     the data allow within TP04 max_construction_years of the first
--     certificate (macro enterprise_start_years), counted since 1.6 from
--     the next year for a certificate of its year's last
--     max_incorporation_days (the enterprise, registered after it, builds
--     from then);
--   * material related-party transactions in the flag's year (the year's
--     disclosures >= TP04 min_related_share of revenue): Decree 132/2020
--     governs related-party transactions, and a loss-maker with no material
--     dealings with its group has no price through which to shift profit.
with

-- the loss runs, the capital added and the related-party dealings (macro
-- tp03_loss_runs, shared with risk.judgements_waiting)
{{ tp03_loss_runs() }},

-- fx months without a delivery in force (rejected, missing, not yet due or
-- before coverage starts): a contribution in one of them is not in the data
fx_gap_months as (
    {{ months_not_complete('fx', 'capital_flows') }}
),

-- the capital added over the run is summed over the fx months in force: with
-- an fx month of the run not complete it is a lower bound (0 is then "none
-- seen", not "none"), and the months are listed. It only ever adds to the
-- case (capital added > 0 established on the months in force); a gap never
-- stands in for a contribution
judged as (
    select
        r.*,
        coalesce((select sum(c.amount_usd) from capital_added as c
                  where c.tax_code = r.tax_code and c.fiscal_year between r.run_start and r.fiscal_year), 0)
            as capital_added_usd,
        (select jsonb_agg(g.period || ' ' || g.status order by g.period) from fx_gap_months as g
         where g.fiscal_year::int between r.run_start and r.fiscal_year) as fx_months_not_complete,
        rp.related_vnd
    from runs as r
    join related as rp on rp.tax_code = r.tax_code and rp.fiscal_year = r.fiscal_year
    where r.years_in_run >= {{ threshold('TP03', 'min_loss_years') }}
      and rp.related_vnd >= {{ threshold('TP04', 'min_related_share') }} * r.revenue_vnd
),

findings as (
    select
        enterprise_id,
        tax_code,
        fiscal_year::text as period,
        {{ risk_score('years_in_run', threshold('TP03', 'min_loss_years'), threshold('TP03', 'full_score_years')) }} as score,
        -losses_in_run_vnd as amount_at_stake_vnd,
        'Doanh nghiệp lỗ hoạt động ' || years_in_run
            || ' năm liên tiếp (' || run_start || '–' || fiscal_year
            || ', tổng lỗ ' || {{ vn_number('-losses_in_run_vnd') }} || ' VND) trong khi '
            -- what the flag stands on: revenue growing, capital added (over the fx months in force), or both
            || concat_ws(' và ',
                         case when revenue_vnd > revenue_at_start
                              then 'doanh thu tăng từ ' || {{ vn_number('revenue_at_start') }} || ' lên '
                                   || {{ vn_number('revenue_vnd') }} || ' VND' end,
                         case when capital_added_usd > 0
                              then 'nhận thêm vốn ' || case when fx_months_not_complete is not null then 'ít nhất ' else '' end
                                   || {{ vn_number('capital_added_usd') }} || ' USD' end)
            -- what makes it a transfer-pricing matter (since 1.4)
            || ', với giao dịch liên kết năm ' || fiscal_year || ' là ' || {{ vn_number('related_vnd') }}
            || ' VND (' || {{ vn_pct('related_vnd::numeric / revenue_vnd') }} || ' doanh thu)'
            || '.'
            || {{ months_missing_sentence('ngoại hối', "run_start || '–' || fiscal_year", 'fx_months_not_complete',
                                          'vốn góp thêm chỉ tính trên các tháng có dữ liệu, có thể lớn hơn') }}
            as summary,
        jsonb_build_object(
            'threshold', {{ threshold_sentence('operating loss in {TP03.min_loss_years} or more consecutive fiscal years after the start-up years (the year operations began and the {TP04.startup_years#} after it: the first year with revenue after returns without any, else the year of the first certificate, or the next for a certificate of its last {TP04.max_incorporation_days#} days, plus up to {TP04.max_construction_years#} years of building) while revenue grows or capital is added, related-party transactions >= {TP04.min_related_share%} % of revenue') }},
            'min_loss_years', {{ threshold('TP03', 'min_loss_years') }},
            'loss_years', years_in_run,
            'first_loss_year', run_start,
            'ebit_vnd', ebit_vnd,
            'losses_in_run_vnd', losses_in_run_vnd,
            'revenue_first_loss_year_vnd', revenue_at_start,
            'revenue_vnd', revenue_vnd,
            'capital_added_usd', capital_added_usd,
            'start_year', start_year,
            'related_party_vnd', related_vnd
        )
        -- fx months of the run not complete: capital_added_usd is a lower bound
        || case when fx_months_not_complete is not null
                then jsonb_build_object('fx_months_not_complete', fx_months_not_complete,
                                        'capital_added_usd_is_lower_bound', true)
                else '{}'::jsonb end as evidence
    from judged
    where revenue_vnd > revenue_at_start or capital_added_usd > 0
)

{{ risk_flag_columns('TP03', '1.6') }}
