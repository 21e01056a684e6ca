-- NOM01 hidden foreign control of a domestic enterprise. Grain: one row per
-- enterprise and year (period YYYY).
--
-- Method (docs/rule_nom01.md): investment behind a Vietnamese nominee (đầu tư
-- núp bóng) leaves no trace in the register, but shows in other agencies'
-- records. For an enterprise with no foreign ownership in the register, four
-- kinds of sign are counted in each year it is seen (marts.fct_enterprise_year):
--   manager  a foreign national on a manager or executive work permit;
--   money    a loan, loan flow or capital from a party that is the parent,
--            an investor or a member of a foreign group (enterprise_groups);
--   premises a land parcel or fx account shared with a foreign-invested enterprise;
--   trade    at least half of its customs value with one foreign group.
-- One sign alone is ordinary (a foreign expert, a foreign lender, an exporter
-- with one buyer); flagged from two kinds of sign.
with

-- the signs of each year of each enterprise without foreign ownership in the
-- register (macro nom01_signs, shared with risk.judgements_waiting)
{{ nom01_signs() }},

-- customs months of each year without a delivery in force: a trade sign's share is that of the
-- months in force, so its flag says which are missing (a missing month is no evidence)
customs_gaps as (
    {{ months_not_complete_by_year('customs', 'declarations') }}
),

findings as (
    select
        p.enterprise_id,
        d.tax_code,
        p.year::text as period,
        {{ risk_score('p.sign_kinds', threshold('NOM01', 'min_signs'), threshold('NOM01', 'full_score_signs')) }} as score,
        null::numeric as amount_at_stake_vnd,
        'Năm ' || p.year || ', doanh nghiệp không có vốn nước ngoài trong đăng ký đầu tư nhưng có '
            || p.sign_kinds || ' dấu hiệu bị nước ngoài kiểm soát (' || p.sign_list || ').'
            || case when p.has_trade
                    then {{ months_missing_sentence('hải quan', 'p.year', 'g.months',
                                                    'tỷ trọng thương mại chỉ tính trên các tháng có dữ liệu') }}
                    else '' end as summary,
        jsonb_build_object(
            'threshold', {{ threshold_sentence('at least {NOM01.min_signs#} kinds of sign of foreign control (manager, money, premises, trade) in a year, with no foreign ownership in the register') }},
            'min_signs', {{ threshold('NOM01', 'min_signs') }},
            'sign_kinds', p.sign_kinds,
            'signs', p.details
        ) || case when p.has_trade
                  then {{ evidence_when_present('customs_months_not_complete', 'g.months') }}
                  else '{}'::jsonb end as evidence
    from per_year as p
    join domestic as d on d.enterprise_id = p.enterprise_id
    left join customs_gaps as g on g.fiscal_year = p.year::text
    where p.sign_kinds >= {{ threshold('NOM01', 'min_signs') }}
      -- not one the register has not seen since it carries its code: its
      -- project may be in the months not delivered (risk.judgements_waiting
      -- lists it with those months)
      and d.first_seen_period is null
)

{{ risk_flag_columns('NOM01', '1.5') }}
