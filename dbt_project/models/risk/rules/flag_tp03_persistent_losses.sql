-- TP03 persistent operating losses while the business grows. Grain: one row
-- per enterprise and fiscal year (period YYYY) that closes a run of at least
-- three consecutive loss years.
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

-- consecutive loss years share a run id (year minus the rank of loss years)
losses as (
    select
        r.*,
        r.fiscal_year - row_number() over (partition by r.tax_code order by r.fiscal_year) as run_id
    from returns as r
    where r.ebit_vnd < 0
),

runs as (
    select
        l.*,
        count(*) over (partition by l.tax_code, l.run_id order by l.fiscal_year) as years_in_run,
        first_value(l.fiscal_year) over (partition by l.tax_code, l.run_id order by l.fiscal_year) as run_start,
        first_value(l.revenue_vnd) over (partition by l.tax_code, l.run_id order by l.fiscal_year) as revenue_at_start,
        sum(l.ebit_vnd) over (partition by l.tax_code, l.run_id order by l.fiscal_year) as losses_in_run_vnd
    from losses as l
),

capital_added as (
    select tax_code, extract(year from value_date)::int as fiscal_year, sum(amount_usd) as amount_usd
    from {{ ref('fct_capital_flows') }}
    where flow_type = 'capital_contribution' and direction = 'inflow'
    group by 1, 2
),

judged as (
    select
        r.*,
        coalesce((select sum(c.amount_usd) from capital_added as c
                  where c.tax_code = r.tax_code and c.fiscal_year between r.run_start and r.fiscal_year), 0)
            as capital_added_usd
    from runs as r
    where r.years_in_run >= {{ threshold('TP03', 'min_loss_years') }}
),

findings as (
    select
        enterprise_id,
        tax_code,
        fiscal_year::text as period,
        {{ risk_score('years_in_run', threshold('TP03', 'min_loss_years'), threshold('TP03', 'full_score_years')) }} as score,
        -losses_in_run_vnd as amount_at_stake_vnd,
        'Doanh nghiệp lỗ hoạt động ' || years_in_run || ' năm liên tiếp (' || run_start || '–' || fiscal_year
            || ', tổng lỗ ' || {{ vn_number('-losses_in_run_vnd') }} || ' VND) trong khi doanh thu tăng từ '
            || {{ vn_number('revenue_at_start') }} || ' lên ' || {{ vn_number('revenue_vnd') }} || ' VND'
            || case when capital_added_usd > 0 then ' và nhận thêm vốn ' || {{ vn_number('capital_added_usd') }} || ' USD' else '' end
            || '.' as summary,
        jsonb_build_object(
            'threshold', 'operating loss in 3 or more consecutive fiscal years while revenue grows or capital is added',
            'min_loss_years', {{ threshold('TP03', 'min_loss_years') }},
            'loss_years', years_in_run,
            'first_loss_year', run_start,
            'ebit_vnd', ebit_vnd,
            'losses_in_run_vnd', losses_in_run_vnd,
            'revenue_first_loss_year_vnd', revenue_at_start,
            'revenue_vnd', revenue_vnd,
            'capital_added_usd', capital_added_usd
        ) as evidence
    from judged
    where revenue_vnd > revenue_at_start or capital_added_usd > 0
)

{{ risk_flag_columns('TP03', '1.0') }}
