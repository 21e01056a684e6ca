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

-- the returns with interest, the earning capacity and the year's foreign or
-- related-party loans (macro tp05_interest_capacity, shared with
-- risk.judgements_waiting)
{{ tp05_interest_capacity() }},

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
    where {{ tp05_figures_make_the_case() }}
      and (l.tax_code is not null or rl.tax_code is not null)
)

{{ risk_flag_columns('TP05', '2.2') }}
