{#- Name of an outside party (a foreign parent, investor, lender, trading
    partner) as one node of the enterprise network. On top of
    normalise_name (folding, Vietnamese and English legal forms, Cty/VN
    abbreviations), it drops what agencies add around a foreign company's
    name: foreign legal forms (GmbH, AG, B.V., N.V., S.A., Pte, PLC, K.K.,
    Sdn Bhd, Pty, Co) and country words ("Korea", "(Japan)", "Hong Kong",
    ...), so "HANIL GROUP CO., LTD. (KOREA)" (a tax disclosure), "Hanil Group"
    (the register) and "HANIL GROUP" (customs) are one node. "Viet Nam" is
    kept: it tells a local subsidiary from its foreign namesake. Group words
    (Group, Holdings) are kept: "X Group" and "X Holdings" may be two
    companies. -#}
{% macro normalise_party(column) -%}
    nullif(trim(regexp_replace(
        regexp_replace(
            regexp_replace(' ' || coalesce({{ normalise_name(column) }}, '') || ' ',
                '\m(republic of korea|south korea|korea|japan|china|prc|singapore|taiwan|hong kong|hongkong|hk|usa|united states|us|germany|deutschland|netherlands|the netherlands|france|united kingdom|uk|thailand)\M',
                ' ', 'g'),
            '\m(gmbh|ag|b v|bv|n v|nv|s a|sa|sas|pte|plc|k k|kk|kabushiki kaisha|sdn bhd|bhd|pty|co)\M', ' ', 'g'),
        '\s+', ' ', 'g')), '')
{%- endmacro %}

{#- Id of a group of enterprises: a hash of its normalised key (the ultimate
    parent's name, else the lead foreign investor's), so the same group has
    the same id in every rebuild and after any re-delivery that keeps the
    parent's name. -#}
{% macro network_group_id(group_key) -%}
    ('GR' || left(md5({{ group_key }}), 14))
{%- endmacro %}
