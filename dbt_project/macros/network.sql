{#- Name of an outside party (a foreign parent, investor, lender, trading
    partner) as one node of the enterprise network. On top of
    normalise_name (folding, Vietnamese and English legal forms, Cty/VN
    abbreviations), it drops what agencies add around a foreign company's
    name: foreign legal forms (GmbH, AG, B.V., N.V., S.A., Pte, PLC, K.K.,
    Sdn Bhd, Pty, Co) and country words ("Korea", "(Japan)", "Hong Kong",
    ...), so "HANIL GROUP CO., LTD. (KOREA)" (a tax disclosure), "Hanil Group"
    (the register) and "HANIL GROUP" (customs) are one node. A name's last
    words in brackets of two or three letters are the party's country as an
    ISO code, which tax disclosures add ("BEAUMONT CO., LTD. (FR)"): cut
    first, so that disclosure and "Beaumont Co., Ltd." in customs or the
    register are one node (held-out seed 2028, docs/risk.md). "Viet Nam" as
    a word is kept: it tells a local subsidiary from its foreign namesake.
    Group words (Group, Holdings) are kept: "X Group" and "X Holdings" may
    be two companies.

    Incremental models store what this makes of names, so a change of it
    (or of normalise_name) must rebuild their rows: their fingerprints carry
    party_names_version(), below. -#}
{% macro normalise_party(column) -%}
    nullif(trim(regexp_replace(
        regexp_replace(
            regexp_replace(' ' || coalesce({{ normalise_name("regexp_replace(" ~ column ~ ", '\s*\(\s*[A-Za-z]{2,3}\s*\)\s*$', '')") }}, '') || ' ',
                '\m(republic of korea|south korea|korea|japan|china|prc|singapore|taiwan|hong kong|hongkong|hk|usa|united states|us|germany|deutschland|netherlands|the netherlands|france|united kingdom|uk|thailand)\M',
                ' ', 'g'),
            '\m(gmbh|ag|b v|bv|n v|nv|s a|sa|sas|pte|plc|k k|kk|kabushiki kaisha|sdn bhd|bhd|pty|co)\M', ' ', 'g'),
        '\s+', ' ', 'g')), '')
{%- endmacro %}

{#- The version of the party names the network's incremental models store
    (fct_customs_lines' related-party marks and, through the customs
    fingerprints, int_customs_partner_months, int_customs_price_deviations
    and int_customs_partner_years; int_relationship_years): a hash of the SQL
    normalise_party makes (normalise_name's included), in each of their
    fingerprints. A change of the normalisation changes every period's
    fingerprint, so the next ordinary build rebuilds them all: no
    --full-refresh, and nothing to remember to raise (as fis.project_reports'
    'rows v3' must be, for its own SQL). A SQL expression of text, the same
    in every query: the SQL quoted as it is, hashed by the database. -#}
{% macro party_names_version() -%}
    md5($normalise_party${{ normalise_party('name') }}$normalise_party$)
{%- endmacro %}

{#- The version of the rows int_relationship_years stores: its party names
    (party_names_version), its premises' addresses (normalise_address) and
    how it rolls a year's records up (edge_rollup), hashed alike, so a change
    of any of them rebuilds every year on the next ordinary build. -#}
{% macro network_rows_version() -%}
    md5({{ party_names_version() }}
        || $normalise_address${{ normalise_address('written') }}$normalise_address$
        || $edge_rollup${{ edge_rollup('e') }}$edge_rollup$)
{%- endmacro %}

{#- Id of a group of enterprises: a hash of its normalised key (the ultimate
    parent's name, else the lead foreign investor's), so the same group has
    the same id in every rebuild and after any re-delivery that keeps the
    parent's name. -#}
{% macro network_group_id(group_key) -%}
    ('GR' || left(md5({{ group_key }}), 14))
{%- endmacro %}

{#- The years of intermediate.int_relationship_years with the fingerprint of
    every input a year's rows are built from, so a build rebuilds only the
    years whose inputs changed (a month's deliveries: their year) and the
    table equals a full refresh. A year is the year of its deliveries'
    period. Its inputs:
      * the deliveries in force of the year of the datasets the network's
        edges come from (the register, tax related parties, credit, fx
        capital flows, labour work permits and employment, land leases);
      * for the records linked by name and address (labour, land), a hash of
        each delivery's links (relinkable_links_by_delivery);
      * the State Bank rates deliveries up to the year's end and the first,
        which put loans and capital flows in VND (as customs_period_inputs);
      * the version of its rows (network_rows_version: the party names, the
        addresses and the rollup), so a change of normalise_party,
        normalise_address or edge_rollup rebuilds every year. -#}
{% macro relationship_year_inputs() -%}
    with

    relinkable as (
        {{ relinkable_links_by_delivery() }}
    ),

    deliveries as (
        select left(d.period, 4) as year,
               d.agency || '/' || d.dataset || ' ' || d.period || ' ' || d.delivery_id || coalesce(' ' || r.links, '') as input
        from {{ source('audit', 'deliveries') }} as d
        left join relinkable as r using (delivery_id)
        where d.status = 'loaded'
          and (d.agency, d.dataset) in (('registry', 'projects'), ('registry', 'investors'), ('tax', 'related_party'),
                                        ('credit', 'loans'), ('fx', 'capital_flows'), ('labour', 'work_permits'),
                                        ('labour', 'employment'), ('land', 'leases'))
    ),

    rates as (
        select period, delivery_id from ({{ in_force_deliveries('fx', 'central_rates') }}) as d
    )

    select
        y.year,
        md5(concat_ws('|',
            -- 'years v2' (2026-12-07): a month's investors take their project's tax code from the same
            -- year's projects snapshots when their own month's has none, so every year rebuilds once
            'years v2',
            {{ network_rows_version() }},
            (select string_agg(d.input, ',' order by d.input) from deliveries as d where d.year = y.year),
            (select string_agg(x.delivery_id, ',' order by x.period, x.delivery_id) from rates as x
             where left(x.period, 4) <= y.year or x.period = (select min(z.period) from rates as z))
        )) as inputs_fingerprint
    from (select distinct year from deliveries) as y
{%- endmacro %}

{#- The inputs of intermediate.int_trade_partners_combined, as one
    fingerprint: the fingerprint of each fiscal year of the partner years
    (their customs inputs, macros/customs.sql, the party names' version
    among them), the enterprises, and the names that make a partner an
    enterprise. A build with nothing new finds
    it unchanged and keeps the table. -#}
{% macro trade_partner_inputs() -%}
    select md5(concat_ws('|',
        (select string_agg(y.fiscal_year || ':' || y.inputs_fingerprint, ',' order by y.fiscal_year, y.inputs_fingerprint)
         from (select distinct fiscal_year, inputs_fingerprint from {{ ref('int_customs_partner_years') }}) as y),
        (select md5(string_agg(enterprise_id, ',' order by enterprise_id)) from {{ ref('dim_enterprise') }}),
        (select md5(string_agg(party || '=' || enterprise_id, ',' order by party))
         from {{ ref('int_enterprise_party_names') }})
    )) as inputs_fingerprint
{%- endmacro %}

{#- The aggregates that roll an edge's records (relation `e`: party_name,
    country, seen_from, seen_to, records, amount_vnd, source_key) up into
    one edge: the least name and country as written, first and last seen,
    the records, the amount (a credit lender's: its greatest balance, so a
    loan's months are not added up) and the ten least distinct record keys
    (a loan's or a lease's monthly snapshots carry one key: listed once, not
    once a month). The network's years (int_relationship_years) and the edges
    between enterprises (marts.enterprise_relationships) roll up alike; its
    SQL is hashed into the years' fingerprints (network_rows_version). -#}
{% macro edge_rollup(e) -%}
        min({{ e }}.party_name) as party_name,
        min({{ e }}.country) as country,
        min({{ e }}.seen_from) as first_seen,
        max({{ e }}.seen_to) as last_seen,
        sum({{ e }}.records) as records,
        case when {{ e }}.relationship = 'lender' and {{ e }}.agency = 'credit' then max({{ e }}.amount_vnd)
             else sum({{ e }}.amount_vnd) end as amount_vnd,
        (array_agg(distinct {{ e }}.source_key order by {{ e }}.source_key))[1:10] as source_keys
{%- endmacro %}
