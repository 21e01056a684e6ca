-- TP01 related-party import overpricing. Grain: one row per enterprise and
-- fiscal year (period YYYY) in which its purchases from related parties of
-- some HS code were priced above the arm's-length range.
--
-- Method (docs/rule_tp01.md): the range and the enterprise's price come from
-- intermediate.int_customs_price_deviations (the 35th to 75th percentile of
-- UNRELATED import lines of the same HS code, unit and year, Decree
-- 132/2020/ND-CP Art. 7.3 and Appendix). Flagged: a related-party price above
-- the 75th percentile, with enough comparables and related lines to be a
-- pattern, shifting a material share of the value; the value shifted abroad
-- is sum((price - median) * quantity), the price adjusted to the median
-- (Art. 7.3). Related party = the partner's normalised name is a
-- counterparty the enterprise disclosed, an investor of its projects or their
-- ultimate parent (marts.fct_customs_lines).
with

goods as (
    select *
    from {{ ref('int_customs_price_deviations') }} as d
    where {{ customs_price_pattern('TP01') }}
),

{{ customs_price_findings('TP01', 'IM') }}

{{ risk_flag_columns('TP01', '1.3') }}
