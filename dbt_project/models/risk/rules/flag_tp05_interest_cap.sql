-- TP05 interest above the deductible cap. Grain: one row per enterprise and
-- fiscal year (period YYYY).
--
-- Method (docs/rule_tp05.md): Decree 132/2020/ND-CP Art. 16.3 caps the
-- deductible net interest at 30 % of (net profit from business + net
-- interest + depreciation). The CIT return gives profit before tax, interest
-- expense and depreciation; no interest income is reported apart, so net
-- interest = interest expense. Flagged when the share is above the cap (or
-- EBITDA is not positive while interest is paid) AND the enterprise borrows
-- from abroad or from a related party that year: a credit-register loan of
-- lender_kind foreign_related_party or foreign_lender, or a related-party
-- disclosure of interest_paid or loan_received.
-- Version 2: the interest must also pass the cap measured on the firm's
-- earning capacity: its best EBITDA of the comparison period (the year and
-- up to two before), or its division's median EBITDA margin of an ordinary
-- (operating-profit) year on its revenue, if that is larger. About half of FDI enterprises report a loss in a year;
-- an honest loss year collapses EBITDA and puts an ordinary loan over the
-- cap for that year only (Art. 16.3 lets such excess be carried forward for
-- five years for that reason). Debt the firm could not carry in its good
-- years is the thin-capitalisation signal. A downturn year (revenue down
-- more than max_revenue_fall on the year before) is not judged: its EBITDA
-- says nothing of the debt the firm carries in an ordinary year, and at the
-- start of the data the period may hold no ordinary year. The amount at
-- stake is the interest above the cap of the year (not deductible).
-- Version 2.1: the score reads the same share as the test that flags, the
-- interest over the earning capacity (50 at the cap, 100 at high_score_share),
-- not the year's EBITDA.
-- Version 2.2: the division's median stands in for the firm's ordinary year
-- only when the comparison period holds none of its own (no return with an
-- operating profit: the start of the data in a loss year, a run of loss
-- years). Taken whenever it was larger, it lifted the capacity of every firm
-- earning less than its division's median, in every year: a firm paying 37 %
-- of its own EBITDA every year was measured at 28 % (edge cases of seed
-- 2031, docs/risk.md "Near the thresholds").
with

returns as (
    select
        enterprise_id, tax_code, fiscal_year,
        revenue_vnd, interest_expense_vnd, depreciation_vnd, profit_before_tax_vnd,
        profit_before_tax_vnd + interest_expense_vnd + depreciation_vnd as ebitda_vnd
    from {{ ref('fct_tax_returns') }}
    where interest_expense_vnd > 0
),

prior as (
    select tax_code, fiscal_year + 1 as fiscal_year, revenue_vnd as prior_revenue_vnd
    from {{ ref('fct_tax_returns') }}
),

-- what an ordinary year earns in its trade: the median EBITDA margin of the
-- returns of its VSIC division (first two digits) and year that show an
-- operating profit (in a year when half the division loses money, the
-- median of all returns is near zero and would call any interest excessive)
division_margin as (
    select
        left(e.vsic_code, 2) as vsic_division, t.fiscal_year, count(*) as peers,
        percentile_cont({{ threshold('TP05', 'percentile_median') }}::float) within group (
            order by (t.profit_before_tax_vnd + t.interest_expense_vnd + t.depreciation_vnd)::numeric / t.revenue_vnd
        ) as median_ebitda_margin
    from {{ ref('fct_tax_returns') }} as t
    join {{ ref('dim_enterprise') }} as e on e.tax_code = t.tax_code
    where t.revenue_vnd > 0 and e.vsic_code is not null
      and t.revenue_vnd - t.cost_of_goods_vnd - t.operating_expense_vnd > 0
    group by grouping sets ((left(e.vsic_code, 2), t.fiscal_year), (t.fiscal_year))
),

-- the firm's earning capacity: its best EBITDA of the year and up to two
-- before; when none of those years is an ordinary one (an operating profit:
-- at the start of the data a firm may have no earlier year to show its
-- ordinary earnings), what its division's median EBITDA margin gives on the
-- year's revenue, if that is larger
best_ebitda as (
    select r.tax_code, r.fiscal_year, max(x.profit_before_tax_vnd + x.interest_expense_vnd + x.depreciation_vnd) as best_ebitda_vnd,
           bool_or(x.revenue_vnd - x.cost_of_goods_vnd - x.operating_expense_vnd > 0) as has_ordinary_year
    from returns as r
    join {{ ref('fct_tax_returns') }} as x
      on x.tax_code = r.tax_code
     and x.fiscal_year between r.fiscal_year - {{ threshold('TP05', 'comparison_years') }} + 1 and r.fiscal_year
    group by 1, 2
),

capacity as (
    select
        b.tax_code, b.fiscal_year, b.best_ebitda_vnd,
        coalesce(d.median_ebitda_margin, a.median_ebitda_margin) as median_ebitda_margin,
        coalesce(d.peers, a.peers) as peers,
        d.vsic_division is null as all_divisions,
        case when b.has_ordinary_year then b.best_ebitda_vnd
             else greatest(b.best_ebitda_vnd,
                           coalesce(coalesce(d.median_ebitda_margin, a.median_ebitda_margin) * r.revenue_vnd, b.best_ebitda_vnd))
        end as capacity_vnd
    from best_ebitda as b
    join returns as r on r.tax_code = b.tax_code and r.fiscal_year = b.fiscal_year
    left join {{ ref('dim_enterprise') }} as e on e.tax_code = b.tax_code
    left join division_margin as d
      on d.vsic_division = left(e.vsic_code, 2) and d.fiscal_year = b.fiscal_year
     and d.peers >= {{ threshold('TP05', 'min_peers') }}
    -- a division with too few profitable returns: the median of every division's
    left join division_margin as a
      on a.vsic_division is null and a.fiscal_year = b.fiscal_year
     and a.peers >= {{ threshold('TP05', 'min_peers') }}
),

foreign_loans as (
    select
        tax_code, left(snapshot_period, 4)::int as fiscal_year,
        string_agg(distinct lender_name || ' (' || case lender_kind when 'foreign_related_party' then 'bên liên kết nước ngoài'
                                                    else 'bên cho vay nước ngoài' end || ')', '; ') as lenders,
        max(outstanding_amount_vnd) as max_outstanding_vnd
    from {{ ref('fct_loans') }}
    where lender_kind in ('foreign_related_party', 'foreign_lender')
    group by 1, 2
),

related_loans as (
    select tax_code, fiscal_year::int as fiscal_year,
           string_agg(distinct counterparty_name, '; ') as counterparties,
           sum(amount_vnd) as amount_vnd
    from {{ ref('stg_tax__related_party') }}
    where transaction_type in ('interest_paid', 'loan_received')
    group by 1, 2
),

findings as (
    select
        r.enterprise_id,
        r.tax_code,
        r.fiscal_year::text as period,
        -- scored on the share the flag stands on: interest against the earning
        -- capacity (version 2.1; the year's EBITDA, 100 whenever it is not
        -- positive, made an honest one-off loss year just past the capacity
        -- test "high"); 100 only when the firm has no earning capacity at all
        case when c.capacity_vnd > 0
            then {{ risk_score('r.interest_expense_vnd::numeric / c.capacity_vnd', threshold('TP05', 'interest_cap_share'), threshold('TP05', 'high_score_share')) }}
            else 100 end as score,
        r.interest_expense_vnd - greatest(0, {{ threshold('TP05', 'interest_cap_share') }} * r.ebitda_vnd) as amount_at_stake_vnd,
        'Năm ' || r.fiscal_year || ', chi phí lãi vay ' || {{ vn_number('r.interest_expense_vnd') }} || ' VND bằng '
            || case when r.ebitda_vnd > 0 then {{ vn_pct('r.interest_expense_vnd::numeric / r.ebitda_vnd') }} else 'hơn 100 %' end
            || ' EBITDA (' || {{ vn_number('r.ebitda_vnd') }} || ' VND) và '
            || case when c.capacity_vnd > 0 then {{ vn_pct('r.interest_expense_vnd::numeric / c.capacity_vnd') }} else 'hơn 100 %' end
            || ' năng lực trả lãi (' || {{ vn_number('c.capacity_vnd') }} || ' VND)'
            || ', vượt mức trần '
            || {{ vn_pct(threshold('TP05', 'interest_cap_share')) }} || ' của Nghị định 132/2020, có khoản vay từ '
            || coalesce(l.lenders, rl.counterparties) || '.'
            || coalesce(' Năm ' || (select string_agg(y, ', ') from jsonb_array_elements_text(g.years) as y)
                        || ' không có tờ khai: năng lực trả lãi được đánh giá không có năm đó.', '') as summary,
        jsonb_build_object(
            'threshold', {{ threshold_sentence('net interest above {TP05.interest_cap_share%} % of EBITDA (Decree 132/2020 Art. 16.3)') }},
            'interest_cap_share', {{ threshold('TP05', 'interest_cap_share') }},
            'interest_expense_vnd', r.interest_expense_vnd,
            'profit_before_tax_vnd', r.profit_before_tax_vnd,
            'depreciation_vnd', r.depreciation_vnd,
            'ebitda_vnd', r.ebitda_vnd,
            'interest_share_of_ebitda', case when r.ebitda_vnd > 0 then round(r.interest_expense_vnd::numeric / r.ebitda_vnd, 4) end,
            'non_deductible_interest_vnd', r.interest_expense_vnd - greatest(0, round({{ threshold('TP05', 'interest_cap_share') }} * r.ebitda_vnd)),
            'revenue_vnd', r.revenue_vnd,
            'prior_year_revenue_vnd', pr.prior_revenue_vnd,
            'best_ebitda_of_period_vnd', c.best_ebitda_vnd,
            'division_median_ebitda_margin', round(c.median_ebitda_margin::numeric, 4),
            'division_peers', c.peers,
            'median_of_all_divisions', c.all_divisions,
            'earning_capacity_vnd', round(c.capacity_vnd::numeric),
            'interest_share_of_capacity', case when c.capacity_vnd > 0 then round(r.interest_expense_vnd::numeric / c.capacity_vnd::numeric, 4) end,
            'foreign_or_related_lenders', l.lenders,
            'related_party_interest_or_loans', rl.counterparties,
            'related_party_interest_or_loans_vnd', rl.amount_vnd
        )
        -- a year of the comparison period without a return: the earning
        -- capacity is measured without it (it may understate it) and a missing
        -- year before is no proof of a downturn either way; stated when there is one
        || {{ evidence_when_present('comparison_years_without_return', 'g.years') }} as evidence
    from returns as r
    cross join lateral (
        select {{ tax_years_without_return('r.tax_code', 'r.fiscal_year - ' ~ threshold('TP05', 'comparison_years') ~ ' + 1', 'r.fiscal_year') }} as years
    ) as g
    left join foreign_loans as l on l.tax_code = r.tax_code and l.fiscal_year = r.fiscal_year
    left join related_loans as rl on rl.tax_code = r.tax_code and rl.fiscal_year = r.fiscal_year
    join capacity as c on c.tax_code = r.tax_code and c.fiscal_year = r.fiscal_year
    left join prior as pr on pr.tax_code = r.tax_code and pr.fiscal_year = r.fiscal_year
    where coalesce(r.revenue_vnd >= (1 - {{ threshold('TP05', 'max_revenue_fall') }}) * pr.prior_revenue_vnd, true)
      and (l.tax_code is not null or rl.tax_code is not null)
      and (r.ebitda_vnd <= 0
           or r.interest_expense_vnd > {{ threshold('TP05', 'interest_cap_share') }} * r.ebitda_vnd)
      and (c.capacity_vnd <= 0
           or r.interest_expense_vnd > {{ threshold('TP05', 'interest_cap_share') }} * c.capacity_vnd)
)

{{ risk_flag_columns('TP05', '2.2') }}
