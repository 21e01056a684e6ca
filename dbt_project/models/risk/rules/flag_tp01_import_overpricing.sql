-- TP01 related-party import overpricing. Grain: one row per enterprise and
-- fiscal year (period YYYY) in which its purchases from related parties of
-- some HS code were priced above the arm's-length range.
--
-- Method (docs/risk/tp01.md): the arm's-length range of a good is the 35th to
-- 75th percentile of the unit prices (customs value in VND / quantity) of
-- UNRELATED import lines of the same HS code, unit and year (Decree
-- 132/2020/ND-CP Art. 7.3 and Appendix). A related-party price above the 75th
-- percentile is adjusted to the median (Art. 7.3), so the value shifted
-- abroad is sum((price - median) * quantity). Related party = the partner's
-- normalised name is a counterparty the enterprise disclosed, an investor of
-- its projects or their ultimate parent (marts.fct_customs_lines).
with

lines as (
    select
        enterprise_id,
        tax_code,
        left(period, 4) as fiscal_year,
        hs_code,
        unit,
        partner_name,
        is_related_party,
        quantity,
        customs_value_vnd,
        customs_value_vnd / quantity as unit_price_vnd
    from {{ ref('fct_customs_lines') }}
    where flow = 'IM' and quantity > 0 and customs_value_vnd > 0 and tax_code is not null
),

comparables as (
    select
        hs_code, unit, fiscal_year,
        count(*) as comparables,
        min(unit_price_vnd) as price_min,
        max(unit_price_vnd) as price_max,
        percentile_cont({{ risk_threshold('TP01', 'percentile_low') }}::float) within group (order by unit_price_vnd) as price_p35,
        percentile_cont({{ risk_threshold('TP01', 'percentile_median') }}::float) within group (order by unit_price_vnd) as price_median,
        percentile_cont({{ risk_threshold('TP01', 'percentile_high') }}::float) within group (order by unit_price_vnd) as price_p75
    from lines
    where not is_related_party
    group by hs_code, unit, fiscal_year
),

related as (
    select
        enterprise_id, tax_code, fiscal_year, hs_code, unit,
        count(*) as related_lines,
        string_agg(distinct partner_name, '; ' order by partner_name) as partners,
        sum(quantity) as quantity,
        sum(customs_value_vnd) as value_vnd,
        -- the enterprise's own price: the median of its related-party lines,
        -- robust to one odd shipment
        percentile_cont(0.5) within group (order by unit_price_vnd) as related_price
    from lines
    where is_related_party
    group by enterprise_id, tax_code, fiscal_year, hs_code, unit
),

goods as (
    select
        r.*,
        c.comparables, c.price_min, c.price_max, c.price_p35, c.price_median, c.price_p75,
        r.value_vnd - c.price_median * r.quantity as shifted_vnd,
        (r.value_vnd - c.price_median * r.quantity) / nullif(c.price_median * r.quantity, 0) as shift_share
    from related as r
    join comparables as c using (hs_code, unit, fiscal_year)
    where c.comparables >= {{ risk_threshold('TP01', 'min_comparables') }}
      and r.related_lines >= {{ risk_threshold('TP01', 'min_related_lines') }}
      and r.related_price > c.price_p75
      and (r.value_vnd - c.price_median * r.quantity)
          >= {{ risk_threshold('TP01', 'min_shift_share') }} * c.price_median * r.quantity
),

findings as (
    select
        enterprise_id,
        tax_code,
        fiscal_year as period,
        {{ risk_score('max(shift_share)', risk_threshold('TP01', 'min_shift_share'), risk_threshold('TP01', 'full_score_shift_share')) }} as score,
        sum(shifted_vnd) as amount_at_stake_vnd,
        'Năm ' || fiscal_year || ', doanh nghiệp nhập khẩu từ bên liên kết ' || count(*)
            || ' mã hàng với đơn giá trên phân vị 75 của hàng nhập khẩu độc lập (mã HS '
            || (array_agg(hs_code order by shifted_vnd desc))[1] || ': '
            || {{ vn_number('(array_agg(related_price order by shifted_vnd desc))[1]') }} || ' VND/'
            || (array_agg(unit order by shifted_vnd desc))[1] || ', trung vị '
            || {{ vn_number('(array_agg(price_median order by shifted_vnd desc))[1]') }}
            || ' VND); giá trị ước tính chuyển ra nước ngoài ' || {{ vn_number('sum(shifted_vnd)') }} || ' VND.' as summary,
        jsonb_build_object(
            'threshold', 'related-party unit price above the 75th percentile of unrelated imports (Decree 132/2020 Art. 7.3)',
            'shifted_value_vnd', round(sum(shifted_vnd)),
            'goods', jsonb_agg(jsonb_build_object(
                'hs_code', hs_code, 'unit', unit, 'related_partners', partners,
                'related_lines', related_lines, 'related_quantity', quantity,
                'related_value_vnd', value_vnd, 'related_unit_price_vnd', round(related_price::numeric, 2),
                'comparables', comparables,
                'comparable_min_vnd', round(price_min::numeric, 2), 'comparable_max_vnd', round(price_max::numeric, 2),
                'range_p35_vnd', round(price_p35::numeric, 2), 'median_vnd', round(price_median::numeric, 2),
                'range_p75_vnd', round(price_p75::numeric, 2),
                'shifted_value_vnd', round(shifted_vnd::numeric), 'shift_share', round(shift_share::numeric, 4))
                order by hs_code, unit)
        ) as evidence
    from goods
    group by enterprise_id, tax_code, fiscal_year
)

{{ risk_flag_columns('TP01', '1.0') }}
