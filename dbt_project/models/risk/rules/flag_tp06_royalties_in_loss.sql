-- TP06 royalties and service fees to related parties in a loss year. Grain:
-- one row per enterprise and fiscal year (period YYYY).
--
-- Method (docs/rule_tp06.md): royalties and intra-group service fees are a
-- classic way to move profit out; Decree 132/2020/ND-CP Art. 16.1 disallows
-- payments to related parties that bring no value. Flagged when the
-- enterprise's related-party disclosures (Appendix I) show royalties and
-- service purchases above a share of revenue in a year its CIT return shows
-- a loss. The amount at stake is the part above that share.
with

returns as (
    select enterprise_id, tax_code, fiscal_year, revenue_vnd, profit_before_tax_vnd
    from {{ ref('fct_tax_returns') }}
    where revenue_vnd > 0 and profit_before_tax_vnd < 0
),

-- the year's related-party royalties and service fees (macro tp06_fees,
-- shared with risk.judgements_waiting)
{{ tp06_fees() }},

findings as (
    select
        r.enterprise_id,
        r.tax_code,
        r.fiscal_year::text as period,
        {{ risk_score('f.fees_vnd::numeric / r.revenue_vnd', threshold('TP06', 'max_fee_share'), threshold('TP06', 'full_score_fee_share')) }} as score,
        f.fees_vnd - {{ threshold('TP06', 'max_fee_share') }} * r.revenue_vnd as amount_at_stake_vnd,
        'Năm ' || r.fiscal_year || ', doanh nghiệp lỗ ' || {{ vn_number('-r.profit_before_tax_vnd') }}
            || ' VND nhưng trả phí bản quyền và phí dịch vụ cho bên liên kết (' || f.counterparties || ') '
            || {{ vn_number('f.fees_vnd') }} || ' VND, bằng ' || {{ vn_pct('f.fees_vnd::numeric / r.revenue_vnd') }}
            || ' doanh thu (ngưỡng ' || {{ vn_pct(threshold('TP06', 'max_fee_share')) }} || ').' as summary,
        jsonb_build_object(
            'threshold', {{ threshold_sentence('related-party royalties and service fees above {TP06.max_fee_share%} % of revenue in a loss year') }},
            'max_fee_share', {{ threshold('TP06', 'max_fee_share') }},
            'royalties_vnd', coalesce(f.royalties_vnd, 0),
            'service_fees_vnd', coalesce(f.service_fees_vnd, 0),
            'fees_share_of_revenue', round(f.fees_vnd::numeric / r.revenue_vnd, 4),
            'revenue_vnd', r.revenue_vnd,
            'profit_before_tax_vnd', r.profit_before_tax_vnd,
            'counterparties', f.counterparties
        ) as evidence
    from returns as r
    join fees as f on f.tax_code = r.tax_code and f.fiscal_year = r.fiscal_year
    where f.fees_vnd > {{ threshold('TP06', 'max_fee_share') }} * r.revenue_vnd
)

{{ risk_flag_columns('TP06', '1.0') }}
