-- TP04 low margin with related-party transactions. Grain: one row per
-- enterprise and fiscal year (period YYYY).
--
-- Method (docs/rule_tp04.md): the enterprise's EBIT margin (revenue - cost of
-- goods - operating expenses, over revenue, from the CIT return) is compared
-- with its peers in the same VSIC division (first two digits) and year: below
-- the 35th percentile is outside the arm's-length range (Decree
-- 132/2020/ND-CP Art. 7.3 and Appendix). Peers that lose money are part of
-- the range, as in any comparables search; only start-up years are left out
-- (Decree 132 Art. 7 comparability: the same stage and functions).
--
-- About half of FDI enterprises report a loss in a given year, mostly for
-- honest reasons. A low margin alone is therefore no evidence; version 2
-- flags what distinguishes shifting from misfortune. All of these must hold:
--   * the year's margin below the peers' 35th percentile, below the Decree 132
--     Art. 19.2(b) safe harbour of its sector and an operating loss;
--   * sustained: the year before also an operating loss below that year's
--     peers' 35th percentile and past the start-up years (since 2.1: a
--     start-up's loss is honest, so it shows nothing sustained; a start-up
--     losing money a third or fourth year was flagged in the year after its
--     start-up years), and the weighted average margin of the comparison period
--     (the year and up to two before: Decree 132 compares on the weighted
--     average of up to three years) below the peers' 35th percentile of the
--     same average (clears a one-off loss);
--   * revenue holds: not down more than max_revenue_fall on the year before
--     (clears a downturn: a firm losing money as its sales fall is unlucky,
--     one losing money while its sales hold is being priced);
--   * material related-party transactions (disclosures >= 10 % of revenue);
--   * not a start-up year (the year operations began and the two after it;
--     since 2.2 the first with revenue after returns without any, a plant
--     built first, else the latest start the data allow within
--     max_construction_years of the first certificate, since 2.3 from the
--     next year for a certificate of its year's last max_incorporation_days:
--     the enterprise registered after it builds from then), and not already
--     explained by a more specific finding (TP03
--     persistent losses, for every loss year of its run; TP06 royalties and
--     TP07 repatriation, for their year), so one issue gives one flag.
-- The amount at stake is the profit an arm's-length (median) margin would give.
with

-- the returns with their peers and the year before (macro tp04_margins,
-- shared with risk.judgements_waiting)
{{ tp04_margins() }},

judged as (
    select
        r.*,
        {{ tax_years_without_return('r.tax_code', 'r.fiscal_year - ' ~ threshold('TP04', 'comparison_years') ~ ' + 1', 'r.fiscal_year') }}
            as years_without_return,
        p.peers, p.margin_p35, p.margin_median, p.margin_p75, p.weighted_margin_p35,
        pp.margin_p35 as prior_margin_p35, rp.related_vnd, rp.counterparties
    from compared as r
    join peers as p using (vsic_division, fiscal_year)
    join peers as pp on pp.vsic_division = r.vsic_division and pp.fiscal_year = r.prior_year
    join related as rp on rp.tax_code = r.tax_code and rp.fiscal_year = r.fiscal_year
    where p.peers >= {{ threshold('TP04', 'min_peers') }}
      and pp.peers >= {{ threshold('TP04', 'min_peers') }}
      and r.prior_year = r.fiscal_year - 1
      and rp.related_vnd >= {{ threshold('TP04', 'min_related_share') }} * r.revenue_vnd
      and not r.is_startup_year
      and not r.prior_is_startup_year
      and not exists (select 1 from explained as x
                      where x.enterprise_id = r.enterprise_id and x.period = r.fiscal_year::text)
),

findings as (
    select
        enterprise_id,
        tax_code,
        fiscal_year::text as period,
        {{ risk_score('margin_p35 - ebit_margin', 0, threshold('TP04', 'full_score_margin_gap')) }} as score,
        (margin_median - ebit_margin) * revenue_vnd as amount_at_stake_vnd,
        'Năm ' || fiscal_year || ', tỷ suất lợi nhuận hoạt động ' || {{ vn_pct('ebit_margin') }}
            || ' thấp hơn phân vị ' || {{ threshold_sentence('{TP04.percentile_low%}') }} || ' của ' || peers || ' doanh nghiệp cùng ngành VSIC ' || vsic_division
            || ' (' || {{ vn_pct('margin_p35') }} || ') và mức an toàn ' || {{ vn_pct('safe_harbour_margin') }}
            || ', năm trước ' || {{ vn_pct('prior_margin') }} || ', bình quân gia quyền ' || years_compared || ' năm '
            || {{ vn_pct('weighted_margin') }} || ' (phân vị ' || {{ threshold_sentence('{TP04.percentile_low%}') }} || ': ' || {{ vn_pct('weighted_margin_p35') }}
            || '), doanh thu không giảm, với giao dịch liên kết ' || {{ vn_number('related_vnd') }} || ' VND.' as summary,
        jsonb_build_object(
            'threshold', {{ threshold_sentence("operating loss below the {TP04.percentile_low%}th percentile of VSIC-division peers and the Decree 132 Art. 19.2(b) safe harbour, sustained (the year before a loss below its range too, the weighted average of up to {TP04.comparison_years#} years below the peers' same average), revenue not down more than {TP04.max_revenue_fall%} %, related-party transactions >= {TP04.min_related_share%} % of revenue") }},
            'prior_year_ebit_margin', round(prior_margin, 4),
            'prior_year_peer_margin_p35', round(prior_margin_p35::numeric, 4),
            'weighted_margin', round(weighted_margin, 4),
            'years_compared', years_compared,
            'peer_weighted_margin_p35', round(weighted_margin_p35::numeric, 4),
            'prior_year_revenue_vnd', prior_revenue_vnd,
            'ebit_vnd', ebit_vnd,
            'revenue_vnd', revenue_vnd,
            'ebit_margin', round(ebit_margin, 4),
            'vsic_division', vsic_division,
            'peers', peers,
            'peer_margin_p35', round(margin_p35::numeric, 4),
            'peer_margin_median', round(margin_median::numeric, 4),
            'peer_margin_p75', round(margin_p75::numeric, 4),
            'safe_harbour_margin', safe_harbour_margin,
            'related_party_transactions_vnd', related_vnd,
            'related_parties', counterparties
        )
        -- a year of the comparison period without a return is left out of the
        -- weighted average, never read as a loss; stated when there is one
        || {{ evidence_when_present('comparison_years_without_return', 'years_without_return') }}
            as evidence
    from judged
    where ebit_margin < margin_p35
      and ebit_margin < safe_harbour_margin
      and ebit_margin < {{ threshold('TP04', 'max_ebit_margin') }}
      and prior_margin < prior_margin_p35
      and prior_margin < {{ threshold('TP04', 'max_ebit_margin') }}
      and weighted_margin < weighted_margin_p35
      and revenue_vnd >= (1 - {{ threshold('TP04', 'max_revenue_fall') }}) * prior_revenue_vnd
)

{{ risk_flag_columns('TP04', '2.3') }}
