-- TP02 related-party export underpricing, the mirror of TP01. Grain: one row
-- per enterprise and fiscal year (period YYYY) in which its sales to related
-- parties of some HS code were priced below the arm's-length range.
--
-- Method (docs/rule_tp02.md, macro related_party_price_range): the range is
-- the 35th to 75th percentile of the unit prices (customs value in VND /
-- quantity) of UNRELATED export lines of the same HS code, unit and year
-- (Decree 132/2020/ND-CP Art. 7.3 and Appendix); a related-party price below
-- the 35th percentile is adjusted to the median (Art. 7.3), so the income
-- shifted abroad is sum((median - price) * quantity).
{{ related_party_price_range('TP02', 'EX', 'below') }}

{{ risk_flag_columns('TP02', '1.0') }}
