-- TP01 related-party import overpricing. Grain: one row per enterprise and
-- fiscal year (period YYYY) in which its purchases from related parties of
-- some HS code were priced above the arm's-length range.
--
-- Method (docs/rule_tp01.md, macro related_party_price_range): the
-- arm's-length range of a good is the 35th to 75th percentile of the unit
-- prices (customs value in VND / quantity) of UNRELATED import lines of the
-- same HS code, unit and year (Decree 132/2020/ND-CP Art. 7.3 and Appendix).
-- A related-party price above the 75th percentile is adjusted to the median
-- (Art. 7.3), so the value shifted abroad is sum((price - median) * quantity).
-- Related party = the partner's normalised name is a counterparty the
-- enterprise disclosed, an investor of its projects or their ultimate parent
-- (marts.fct_customs_lines).
{{ related_party_price_range('TP01', 'IM', 'above') }}

{{ risk_flag_columns('TP01', '1.0') }}
