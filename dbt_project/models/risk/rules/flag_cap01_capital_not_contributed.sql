-- CAP01 charter capital not contributed by the deadline. Grain: one row per
-- enterprise and month (period YYYY-MM): the month after a project's
-- capital deadline, when its foreign investors had paid in less than their
-- share of the charter capital.
--
-- Method (docs/rule_cap01.md): foreign investors pay their capital through
-- the direct-investment capital account (Circular 06/2019/TT-NHNN), which the
-- State Bank reports as fx capital_contribution inflows; domestic partners
-- do not, so the amount due through these accounts is charter capital x
-- foreign_ownership_pct / 100 (Law on Enterprises 59/2020/QH14 Art. 47 and
-- 75: paid in full by the deadline). Only projects issued within the fx data
-- (their whole contribution history is visible) and whose deadline has
-- passed are judged; contributions count from the issue date to the deadline.
-- A window holding an fx month with no delivery in force (rejected or
-- missing) is not judged until that month arrives: the contribution may be in
-- it, and a gap in the data is never evidence that nothing was paid
-- (risk.judgements_waiting lists the shortfalls that wait on such a month).
-- The windows: macro cap01_capital_windows, which both read.
with

{{ cap01_capital_windows() }},

findings as (
    select
        {{ enterprise_id_from_tax_code('tax_code') }} as enterprise_id,
        tax_code,
        period,
        {{ risk_score('1 - contributed_usd / foreign_capital_due_usd', '1 - ' ~ threshold('CAP01', 'min_contributed_share'), 1) }} as score,
        -- the capital missing, in VND at the latest year's average is not
        -- known here: the evidence keeps USD, the amount at stake is left out
        null::numeric as amount_at_stake_vnd,
        'Đến hạn góp vốn ' || to_char(capital_deadline, 'DD/MM/YYYY') || ', nhà đầu tư nước ngoài mới góp '
            || {{ vn_number('contributed_usd') }} || ' USD trên ' || {{ vn_number('foreign_capital_due_usd') }}
            || ' USD phải góp (' || {{ vn_pct('contributed_usd / foreign_capital_due_usd') }} || ').' as summary,
        jsonb_build_object(
            'threshold', 'foreign capital contributed below charter capital x foreign ownership by the deadline (Law on Enterprises 2020 Art. 47, 75)',
            'min_contributed_share', {{ threshold('CAP01', 'min_contributed_share') }},
            'contributed_usd', round(contributed_usd, 2),
            'foreign_capital_due_usd', round(foreign_capital_due_usd, 2),
            'quarantined_contributions_usd', round(quarantined_usd, 2),
            'shortfall_usd', round(foreign_capital_due_usd - contributed_usd, 2),
            'projects', projects
        ) as evidence
    from deadlines
    where is_short
      -- a month of the window without fx data is unknown, never "nothing paid"
      and uncovered_months = 0
)

{{ risk_flag_columns('CAP01', '1.2') }}
