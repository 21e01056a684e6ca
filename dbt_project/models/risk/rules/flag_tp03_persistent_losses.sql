-- TP03 persistent operating losses while the business grows. Grain: one row
-- per enterprise and fiscal year (period YYYY) that is at least the third
-- loss year of a run no year without a loss interrupts.
--
-- Method (docs/rule_tp03.md): a firm that keeps losing money for three years
-- or more, yet grows its revenue or receives new capital, is not behaving as
-- an independent business would (Decree 132/2020/ND-CP Art. 17: the tax
-- authority reviews taxpayers with losses in consecutive years). The loss is
-- the operating result (EBIT = revenue - cost of goods - operating expenses
-- from the CIT return): a loss made only by interest is TP05's finding.
with

returns as (
    select
        enterprise_id, tax_code, fiscal_year, revenue_vnd, profit_before_tax_vnd,
        revenue_vnd - cost_of_goods_vnd - operating_expense_vnd as ebit_vnd
    from {{ ref('fct_tax_returns') }}
    where revenue_vnd is not null
),

-- A run of losses is broken only by a year whose return shows no loss. A
-- year without a return in force (not filed, quarantined, or the tax
-- delivery of that year rejected or missing) is unknown: it neither breaks
-- the run nor counts as a loss year, and the evidence names it. So a run is
-- measured on the years themselves: the loss years observed, and the span
-- from the first to the last of them.
marked as (
    select
        r.*,
        -- the number of years with no loss up to this one: the same for every
        -- loss year of one run
        count(*) filter (where r.ebit_vnd >= 0) over (partition by r.tax_code order by r.fiscal_year) as run_id
    from returns as r
),

runs as (
    select
        l.*,
        count(*) over (partition by l.tax_code, l.run_id order by l.fiscal_year) as years_in_run,
        first_value(l.fiscal_year) over (partition by l.tax_code, l.run_id order by l.fiscal_year) as run_start,
        first_value(l.revenue_vnd) over (partition by l.tax_code, l.run_id order by l.fiscal_year) as revenue_at_start,
        sum(l.ebit_vnd) over (partition by l.tax_code, l.run_id order by l.fiscal_year) as losses_in_run_vnd
    from marked as l
    where l.ebit_vnd < 0
),

capital_added as (
    select tax_code, extract(year from value_date)::int as fiscal_year, sum(amount_usd) as amount_usd
    from {{ ref('fct_capital_flows') }}
    where flow_type = 'capital_contribution' and direction = 'inflow'
    group by 1, 2
),

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
         where g.fiscal_year::int between r.run_start and r.fiscal_year) as fx_months_not_complete
    from runs as r
    where r.years_in_run >= {{ threshold('TP03', 'min_loss_years') }}
),

-- the years of the run's span without a return in force, each with the
-- coverage of the tax returns of that year (complete: the enterprise's own
-- return is missing or quarantined; rejected / missing: the whole delivery)
gaps as (
    select
        j.tax_code, j.fiscal_year,
        string_agg(y::text, ', ' order by y) as gap_years,
        jsonb_agg(jsonb_build_object('year', y, 'cit_returns_coverage', coalesce(c.status, 'missing')) order by y)
            as years_without_return
    from judged as j
    cross join lateral generate_series(j.run_start, j.fiscal_year) as y
    left join {{ ref('dataset_coverage') }} as c
      on c.agency = 'tax' and c.dataset = 'cit_returns' and c.period = y::text
    where not exists (select 1 from returns as r where r.tax_code = j.tax_code and r.fiscal_year = y)
    group by j.tax_code, j.fiscal_year
),

findings as (
    select
        enterprise_id,
        tax_code,
        fiscal_year::text as period,
        {{ risk_score('years_in_run', threshold('TP03', 'min_loss_years'), threshold('TP03', 'full_score_years')) }} as score,
        -losses_in_run_vnd as amount_at_stake_vnd,
        'Doanh nghiệp lỗ hoạt động ' || years_in_run
            || case when gap_years is null then ' năm liên tiếp ('
                    else ' năm, không năm nào có lãi (' end || run_start || '–' || fiscal_year
            || coalesce('; năm ' || gap_years || ' không có tờ khai, không tính là năm lỗ', '')
            || ', tổng lỗ ' || {{ vn_number('-losses_in_run_vnd') }} || ' VND) trong khi '
            -- what the flag stands on: revenue growing, capital added (over the fx months in force), or both
            || concat_ws(' và ',
                         case when revenue_vnd > revenue_at_start
                              then 'doanh thu tăng từ ' || {{ vn_number('revenue_at_start') }} || ' lên '
                                   || {{ vn_number('revenue_vnd') }} || ' VND' end,
                         case when capital_added_usd > 0
                              then 'nhận thêm vốn ' || case when fx_months_not_complete is not null then 'ít nhất ' else '' end
                                   || {{ vn_number('capital_added_usd') }} || ' USD' end)
            || '.'
            || {{ months_missing_sentence('ngoại hối', "run_start || '–' || fiscal_year", 'fx_months_not_complete',
                                          'vốn góp thêm chỉ tính trên các tháng có dữ liệu, có thể lớn hơn') }}
            as summary,
        jsonb_build_object(
            'threshold', {{ threshold_sentence('operating loss in {TP03.min_loss_years} or more consecutive fiscal years while revenue grows or capital is added') }},
            'min_loss_years', {{ threshold('TP03', 'min_loss_years') }},
            'loss_years', years_in_run,
            'first_loss_year', run_start,
            'ebit_vnd', ebit_vnd,
            'losses_in_run_vnd', losses_in_run_vnd,
            'revenue_first_loss_year_vnd', revenue_at_start,
            'revenue_vnd', revenue_vnd,
            'capital_added_usd', capital_added_usd
        )
        -- stated only when the run spans a year without a return, so the
        -- evidence (and its hash, which a dismissal holds to) of a run
        -- without gaps is what it was
        || case when years_without_return is not null
                then jsonb_build_object('years_spanned', fiscal_year - run_start + 1,
                                        'years_without_return', years_without_return)
                else '{}'::jsonb end
        -- fx months of the run not complete: capital_added_usd is a lower bound
        || case when fx_months_not_complete is not null
                then jsonb_build_object('fx_months_not_complete', fx_months_not_complete,
                                        'capital_added_usd_is_lower_bound', true)
                else '{}'::jsonb end as evidence
    from judged
    left join gaps using (tax_code, fiscal_year)
    where revenue_vnd > revenue_at_start or capital_added_usd > 0
)

{{ risk_flag_columns('TP03', '1.2') }}
