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
-- it. The amount at stake is the undisclosed value: customs value of the
-- trade plus the fx loan flows (a loan's balance is evidence, `balance_vnd`,
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

own_parties as (
    select enterprise_id, related_party as party, relationship
    from {{ ref('enterprise_relationships') }}
    where agency = 'registry' and relationship in ('investor', 'ultimate_parent') and related_party is not null
),

-- a member's investors and parent are related to every member of its group; not materialized:
-- each use is planned from the network's own statistics (materialized, the planner guessed 200
-- related parties for 9,800 and compared them with every partner year in a nested loop)
related as not materialized (
    select enterprise_id, party, min(relationship) as relationship
    from (
        select enterprise_id, party, relationship from own_parties
        union all
        select g.enterprise_id, o.party, 'same_group' as relationship
        from {{ ref('enterprise_groups') }} as g
        join {{ ref('enterprise_groups') }} as s on s.group_id = g.group_id and s.enterprise_id <> g.enterprise_id
        join own_parties as o on o.enterprise_id = s.enterprise_id
    ) as r
    group by 1, 2
),

-- A disclosure often ends with the party's country as an ISO code in brackets
-- ("BEAUMONT CO., LTD. (FR)"): normalise_party cuts it (1.4 cut it here, for
-- the disclosures only; 1.5: every name the network and this rule compare).
disclosed as (
    select distinct tax_code, fiscal_year::int as fiscal_year, {{ normalise_party('counterparty_name') }} as party
    from {{ ref('stg_tax__related_party') }}
),

-- the enterprise-years that trade with a related party the year's disclosure does not name, found
-- in the partner years (one row per enterprise, year and party by normalised name); the written
-- names each dealing shows are then read from those enterprise-years' partner months only. Every
-- enterprise-year a customs dealing of `undisclosed` comes from is among them, so the findings are
-- the same. Why: grouping every partner month by its written name was most of this rule's time
-- (the rule's select 2.0 s before, 0.6 s after, at 5,000 enterprises over two years), and related
-- parties are most of an FDI enterprise's trade (its parent supplies it): only the disclosure
-- check makes the set small.
customs_related as (
    select t.enterprise_id, t.tax_code, t.fiscal_year, y.party
    from {{ ref('int_customs_partner_years') }} as y
    join related as r on r.enterprise_id = y.enterprise_id and r.party = y.party
    join returns as t on t.enterprise_id = y.enterprise_id and t.fiscal_year = y.fiscal_year::int
),

-- the parties of each enterprise-year no disclosure of that year names: grouped beside the
-- disclosures, not anti-joined to them, so that no misjudged row count can make it a nested
-- loop (guessing one related partner-year for 4,000, the planner checked each against every
-- disclosure: 1.2 s)
customs_years as (
    select distinct e.enterprise_id, u.fiscal_year
    from (
        select fiscal_year, array_agg(enterprise_id) as enterprise_ids
        from (
            select enterprise_id, tax_code, fiscal_year, party from customs_related
            union all
            select null, tax_code, fiscal_year, party from disclosed
        ) as p
        group by tax_code, fiscal_year, party
        having count(*) = count(enterprise_id)  -- no disclosure row among them
    ) as u
    cross join lateral unnest(u.enterprise_ids) as e (enterprise_id)
),

dealings as (
    select m.enterprise_id, left(m.period, 4)::int as fiscal_year, m.partner_name as party_name, 'customs' as agency,
           sum(m.lines)::bigint as records, sum(m.customs_value_vnd) as amount_vnd,
           min(m.first_record) as first_record, null::numeric as balance_vnd
    from {{ ref('int_customs_partner_months') }} as m
    join customs_years as c on c.enterprise_id = m.enterprise_id and c.fiscal_year = left(m.period, 4)::int
    group by 1, 2, 3
    union all
    select enterprise_id, extract(year from value_date)::int, counterparty_name, 'fx',
           count(*), sum(amount_vnd), min(txn_id), null
    from {{ ref('fct_capital_flows') }}
    where enterprise_id is not null and flow_type in ('loan_drawdown', 'loan_repayment', 'interest_payment')
    group by 1, 2, 3
    union all
    select enterprise_id, left(snapshot_period, 4)::int, lender_name, 'credit',
           -- a balance is no dealing of the year: no amount, and the year's greatest balance beside it
           count(distinct loan_id), null, min(lender_code || '|' || loan_id), max(outstanding_amount_vnd)
    from {{ ref('fct_loans') }}
    where enterprise_id is not null and outstanding_amount_vnd > 0
    group by 1, 2, 3
),

-- each distinct name normalised once (materialised, so not once per dealing)
names as materialized (
    select party_name, {{ normalise_party('party_name') }} as party
    from (select distinct party_name from dealings) as d
),

undisclosed as (
    select t.enterprise_id, t.tax_code, t.fiscal_year, n.party, r.relationship, d.agency, d.records, d.amount_vnd,
           d.balance_vnd, d.first_record, d.party_name
    from dealings as d
    join names as n on n.party_name = d.party_name
    join related as r on r.enterprise_id = d.enterprise_id and r.party = n.party
    join returns as t on t.enterprise_id = d.enterprise_id and t.fiscal_year = d.fiscal_year
    where not exists (
        select 1 from disclosed as x
        where x.tax_code = t.tax_code and x.fiscal_year = t.fiscal_year and x.party = n.party
    )
),

per_year as (
    select
        enterprise_id, tax_code, fiscal_year,
        coalesce(sum(amount_vnd), 0) as undisclosed_vnd,  -- a loan alone: no trade or payment value
        max(balance_vnd) as balance_vnd,
        bool_or(agency = 'credit') as has_loan,
        string_agg(distinct party_name, '; ' order by party_name) as parties,
        jsonb_agg(jsonb_build_object(
            'party', party, 'written_as', party_name, 'relationship', relationship, 'agency', agency,
            'records', records, 'amount_vnd', amount_vnd, 'first_record', first_record)
            || {{ evidence_when_present('balance_vnd', 'balance_vnd') }}
            order by agency, party, party_name) as dealings  -- a total order: one party may be written two ways
    from undisclosed
    group by 1, 2, 3
),

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
    where p.undisclosed_vnd >= {{ threshold('REL01', 'min_undisclosed_vnd') }} or p.has_loan
)

{{ risk_flag_columns('REL01', '1.5') }}
