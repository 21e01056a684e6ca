-- REL01 undisclosed related-party dealings. Grain: one row per enterprise and
-- fiscal year (period YYYY).
--
-- Method (docs/rule_rel01.md): Decree 132/2020/ND-CP Art. 18.1 obliges an
-- enterprise with related-party transactions to disclose them (Appendix I)
-- with its CIT finalisation. The network (marts.enterprise_relationships,
-- marts.enterprise_groups) shows who is related whatever the enterprise
-- discloses: its investors and ultimate parent in the register, and those of
-- every other member of its group. Flagged when, in a year its CIT return is
-- in force, the enterprise trades with (customs), borrows from (credit) or
-- pays (fx loan flows) such a party and that year's disclosure does not name
-- it, none of its disclosure lines of the year held in quarantine. The
-- amount at stake is the undisclosed value: customs value of the trade plus
-- the fx loan flows (a loan's balance is evidence, `balance_vnd`,
-- not a dealing of the year), summed over the customs and fx months in
-- force; a year with a month missing says so in summary and evidence.
with

-- The enterprise-years with a CIT return. Which of their years are judged
-- (disclosures delivered) is settled at the end, in `findings`: joined here,
-- the coverage made the planner expect 70 returns for 14,000 (it has no
-- statistics for a period compared as text), and with some samples of the
-- tables' statistics it then compared every return with every related
-- partner-year in a nested loop (83 million pairs: 7.9 s against 0.7 s, in
-- one build of three at 5,000 enterprises over three years). Every step
-- below is within one fiscal year, so the findings are the same.
returns as (
    select distinct t.enterprise_id, t.tax_code, t.fiscal_year::int as fiscal_year
    from {{ ref('fct_tax_returns') }} as t
),

-- A year is judged only when its related-party disclosures were delivered
-- (marts.dataset_coverage: tax related_party complete): in a year whose
-- delivery was rejected or is missing, no enterprise's disclosure is in the
-- data, and a missing disclosure is unknown, never "not disclosed".
judged_years as (
    select period
    from {{ ref('dataset_coverage') }}
    where agency = 'tax' and dataset = 'related_party' and status = 'complete'
),

-- the related parties, the disclosures and the dealings no disclosure of the
-- year names, per enterprise-year with a return (`per_year`): macro
-- rel01_undisclosed_dealings, shared with risk.judgements_waiting
{{ rel01_undisclosed_dealings('returns') }},

-- disclosure lines held in quarantine (macro rel01_disclosures_held): the
-- enterprise's disclosure of the year is then not all in the data, and a
-- party it may name is unknown, never "not disclosed" (1.6; an honest
-- start-up whose two lines naming its parent were held back for a mistyped
-- check digit was flagged). risk.judgements_waiting lists such a year.
{{ rel01_disclosures_held() }},

-- the customs and fx months of each year without a delivery in force: the undisclosed value is summed over
-- the months in force, so the summary and the evidence say which are missing (a missing month is no evidence)
customs_gaps as (
    {{ months_not_complete_by_year('customs', 'declarations') }}
),

fx_gaps as (
    {{ months_not_complete_by_year('fx', 'capital_flows') }}
),

disclosures as (
    select tax_code, fiscal_year::int as fiscal_year, count(*) as lines,
           string_agg(distinct counterparty_name, '; ' order by counterparty_name) as named
    from {{ ref('stg_tax__related_party') }}
    group by 1, 2
),

findings as (
    select
        p.enterprise_id,
        p.tax_code,
        p.fiscal_year::text as period,
        case when p.undisclosed_vnd > 0
             then {{ risk_score('p.undisclosed_vnd', threshold('REL01', 'min_undisclosed_vnd'), threshold('REL01', 'full_score_undisclosed_vnd')) }}
             else 50 end as score,
        p.undisclosed_vnd as amount_at_stake_vnd,
        'Năm ' || p.fiscal_year || ', doanh nghiệp '
            || case when p.undisclosed_vnd > 0
                    then 'giao dịch với bên liên kết (' || p.parties || ') trị giá ' || {{ vn_number('p.undisclosed_vnd') }} || ' VND'
                    -- a loan alone: its balance, not a value of 0
                    else 'vay bên liên kết (' || p.parties || '), dư nợ cao nhất trong năm '
                         || {{ vn_number('p.balance_vnd') }} || ' VND,' end
            || ' mà không kê khai bên này trong phụ lục giao dịch liên kết'
            || case when ds.lines is null then ' (không nộp phụ lục).' else '.' end
            || case when cg.months is not null or fg.months is not null
                    then ' Số liệu năm ' || p.fiscal_year || ' thiếu '
                         || concat_ws(' và ',
                                      jsonb_array_length(cg.months) || ' tháng hải quan: ' || {{ months_in_words('cg.months') }},
                                      jsonb_array_length(fg.months) || ' tháng ngoại hối: ' || {{ months_in_words('fg.months') }})
                         || '; giá trị chỉ tính trên các tháng có dữ liệu.'
                    else '' end as summary,
        jsonb_build_object(
            'threshold', 'dealings with a party the network shows as related (investor, ultimate parent, group member) that the year''s related-party disclosure does not name (Decree 132/2020 Art. 18.1)',
            'min_undisclosed_vnd', {{ threshold('REL01', 'min_undisclosed_vnd') }},
            'undisclosed_vnd', p.undisclosed_vnd,
            'dealings', p.dealings,
            'disclosure_lines', coalesce(ds.lines, 0),
            'disclosed_counterparties', ds.named
        ) || {{ evidence_when_present('customs_months_not_complete', 'cg.months') }}
          || {{ evidence_when_present('fx_months_not_complete', 'fg.months') }} as evidence
    from per_year as p
    join judged_years as j on j.period = p.fiscal_year::text  -- the coverage's period is text (months for other datasets)
    left join disclosures as ds on ds.tax_code = p.tax_code and ds.fiscal_year = p.fiscal_year
    left join customs_gaps as cg on cg.fiscal_year = p.fiscal_year::text
    left join fx_gaps as fg on fg.fiscal_year = p.fiscal_year::text
    where (p.undisclosed_vnd >= {{ threshold('REL01', 'min_undisclosed_vnd') }} or p.has_loan)
      and not exists (select 1 from disclosures_held as h
                      where h.tax_code_stem = left(p.tax_code, 9) and h.fiscal_year = p.fiscal_year)
)

{{ risk_flag_columns('REL01', '1.6') }}
