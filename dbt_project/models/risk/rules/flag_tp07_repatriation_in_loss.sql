-- TP07 profit repatriated while loss-making. Grain: one row per enterprise and
-- fiscal year (period YYYY) with a profit_repatriation outflow.
--
-- Method (docs/rule_tp07.md): a foreign investor may remit profits only
-- after the enterprise has covered its losses (Law on Investment
-- 61/2020/QH14 Art. 12; Decree 70/2014/ND-CP Art. 9). Flagged when the fx
-- capital account shows a profit_repatriation outflow in a year whose CIT
-- return reports a loss, or losses carried forward at year end or the year
-- before (loss_carried_forward_vnd). The amount at stake is the amount remitted.
with

-- the year's profit repatriations (macro tp07_repatriations, shared with
-- risk.judgements_waiting)
{{ tp07_repatriations() }},

-- The losses carried forward at the end of the year before come from that
-- year's return only: when it is missing (not filed, or quarantined) they are
-- unknown (NULL), never the figure of an earlier year.
returns as (
    select
        t.enterprise_id, t.tax_code, t.fiscal_year, t.profit_before_tax_vnd,
        coalesce(t.loss_carried_forward_vnd, 0) as loss_carried_forward_vnd,
        case when p.tax_code is not null then coalesce(p.loss_carried_forward_vnd, 0) end
            as loss_carried_forward_prior_vnd
    from {{ ref('fct_tax_returns') }} as t
    left join {{ ref('fct_tax_returns') }} as p
      on p.tax_code = t.tax_code and p.fiscal_year = t.fiscal_year - 1
),

-- fx months of the year without a delivery in force: the year's remittances
-- are then a lower bound, and the evidence says which months are missing
fx_gaps as (
    {{ months_not_complete_by_year('fx', 'capital_flows') }}
),

findings as (
    select
        r.enterprise_id,
        r.tax_code,
        r.fiscal_year::text as period,
        case when r.profit_before_tax_vnd < 0 then 100 else {{ threshold("TP07", "score_losses_carried") }} end as score,
        p.amount_vnd as amount_at_stake_vnd,
        'Năm ' || r.fiscal_year || ', doanh nghiệp chuyển lợi nhuận ra nước ngoài ' || {{ vn_number('p.amount_usd') }}
            || ' USD (' || p.counterparties || ') trong khi '
            || case when r.profit_before_tax_vnd < 0
                    then 'báo lỗ ' || {{ vn_number('-r.profit_before_tax_vnd') }} || ' VND'
                    else 'còn lỗ lũy kế ' || {{ vn_number('greatest(r.loss_carried_forward_vnd, r.loss_carried_forward_prior_vnd)') }} || ' VND chưa bù đắp' end
            || '.'
            || {{ months_missing_sentence('ngoại hối', 'r.fiscal_year', 'g.months', 'số tiền chuyển có thể lớn hơn') }}
            as summary,
        jsonb_build_object(
            'threshold', 'profit repatriated in a loss year or with losses carried forward (Law on Investment 2020 Art. 12)',
            'repatriated_usd', p.amount_usd,
            'repatriated_vnd', p.amount_vnd,
            'transfers', p.transfers,
            'first_transfer_on', p.first_transfer_on,
            'profit_before_tax_vnd', r.profit_before_tax_vnd,
            'loss_carried_forward_vnd', r.loss_carried_forward_vnd,
            'loss_carried_forward_prior_year_vnd', r.loss_carried_forward_prior_vnd
        )
        || {{ evidence_when_present('fx_months_not_complete', 'g.months') }} as evidence
    from returns as r
    join repatriated as p on p.tax_code = r.tax_code and p.fiscal_year = r.fiscal_year
    left join fx_gaps as g on g.fiscal_year = r.fiscal_year::text
    where p.amount_vnd > {{ threshold('TP07', 'min_repatriation_vnd') }}
      and (r.profit_before_tax_vnd < 0 or r.loss_carried_forward_vnd > 0 or r.loss_carried_forward_prior_vnd > 0)
)

{{ risk_flag_columns('TP07', '1.1') }}
