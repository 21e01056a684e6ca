-- TP02 related-party export underpricing. Grain: one row per enterprise and
-- fiscal year (period YYYY) in which its sales to related parties of some HS
-- code were priced below the arm's-length range.
--
-- Method (docs/rule_tp02.md): the mirror of TP01 on exports, from
-- intermediate.int_customs_price_deviations. Flagged: a related-party price
-- below the 35th percentile of unrelated export lines of the same HS code,
-- unit and year, with enough comparables and related lines, shifting a
-- material share of the income; the income shifted abroad is
-- sum((median - price) * quantity) (Decree 132/2020/ND-CP Art. 7.3).
with

goods as (
    select *
    from {{ ref('int_customs_price_deviations') }} as d
    where {{ customs_price_pattern('TP02') }}
),

{{ customs_price_findings('TP02', 'EX') }}

{{ risk_flag_columns('TP02', '1.3') }}
