{#- Vietnamese name folding for entity resolution (README "Known defects" 2:
    both Unicode forms, any case, with or without diacritics, abbreviations).
    Folds case and diacritics (unaccent does not map đ/Đ, hence the replace),
    drops punctuation and spreadsheet-injection prefixes, expands the
    abbreviations agencies use (Cty, CT -> cong ty; VN, Vietnam -> viet nam)
    and strips legal-form words, which say nothing about which enterprise it
    is ("Công ty TNHH X Việt Nam" = "X Vietnam Co., Ltd" = "CONG TY TNHH X VIET NAM"). -#}
{% macro fold_text(column) -%}
    trim(regexp_replace(
        lower(unaccent(replace(replace({{ column }}, 'Đ', 'D'), 'đ', 'd'))),
        '[^a-z0-9]+', ' ', 'g'))
{%- endmacro %}

{% macro normalise_name(column) -%}
    nullif(trim(regexp_replace(
        regexp_replace(
            regexp_replace(
                regexp_replace(
                    regexp_replace(' ' || {{ fold_text(column) }} || ' ',
                        '\m(cty|ct)\M', 'cong ty', 'g'),
                    '\m(vn|vietnam)\M', 'viet nam', 'g'),
                '\m(cong ty|trach nhiem huu han|tnhh|co phan|cp|jsc|joint stock company|joint stock|company|co ltd|ltd|limited|corporation|corp|inc|llc|mot thanh vien|mtv)\M',
                ' ', 'g'),
            '\m(cong ty|co)\M\s*$', ' ', 'g'),
        '\s+', ' ', 'g')), '')
{%- endmacro %}

{#- Addresses: folded, with the abbreviations of zones expanded (KCN = khu
    công nghiệp, CCN = cụm công nghiệp). -#}
{% macro normalise_address(column) -%}
    nullif(trim(regexp_replace(
        regexp_replace(
            regexp_replace(
                regexp_replace(' ' || {{ fold_text(column) }} || ' ', '\mkcn\M', 'khu cong nghiep', 'g'),
                '\mccn\M', 'cum cong nghiep', 'g'),
            '\m(tp|thanh pho|hp)\M', ' ', 'g'),
        '\s+', ' ', 'g')), '')
{%- endmacro %}

{#- The versions of what int_names_normalised and int_addresses_normalised
    store: a hash of the SQL each one's normalising macros make, stored on
    every row (`inputs_fingerprint`). Those tables normalise a name or an
    address once, when it first appears; a change of the macros changes the
    version, so the next ordinary build empties them and normalises every
    name or address again (delete_all_if_inputs_changed), and the models
    after them follow by their keys and fingerprints, which hash the
    normalised values: no --full-refresh. SQL expressions of text, the same
    in every query: the SQL quoted as it is, hashed by the database. -#}
{% macro names_version() -%}
    md5($names${{ normalise_name('name') }}|{{ legal_form('name') }}|{{ name_suffix('name') }}$names$)
{%- endmacro %}

{% macro addresses_version() -%}
    md5($addresses${{ normalise_address('address') }}|{{ area_key('admin_area', 'address') }}$addresses$)
{%- endmacro %}

{#- Blocking key for name matching: the commune/district, from admin_area
    when given, else the address part before "Hải Phòng" (addresses read
    "..., <area>, Hải Phòng"). -#}
{% macro area_key(admin_area, address) -%}
    coalesce(
        nullif({{ fold_text(admin_area) }}, ''),
        nullif({{ fold_text("(regexp_match(" ~ address ~ ", '([^,]+),\\s*(TP\\.?\\s*)?H[ảa]i Ph[òo]ng\\s*$', 'i'))[1]") }}, ''))
{%- endmacro %}

{#- Id of a name group: a hash of the normalised identity, the same in
    int_unlinked_names_grouped and wherever a record looks up its group. -#}
{% macro name_group_id(name, name_en, address, admin_area, zone) -%}
    {{ name_group_id_normalised(normalise_name(name), normalise_name(name_en), normalise_address(address),
                                area_key(admin_area, address), zone) }}
{%- endmacro %}

{#- The same id from what is already normalised (int_names_normalised, int_addresses_normalised). -#}
{% macro name_group_id_normalised(name_normalised, name_en_normalised, address_normalised, area_key, zone) -%}
    md5(concat_ws('|',
        coalesce({{ name_normalised }}, ''),
        coalesce({{ name_en_normalised }}, ''),
        coalesce({{ address_normalised }}, ''),
        coalesce({{ area_key }}, ''),
        coalesce({{ zone }}, '')))
{%- endmacro %}

{#- What the name-folding drops but still tells two enterprises apart: the
    legal form (a "Cổ phần" and a "TNHH" of one stem are two enterprises)
    and an ordinal or label anywhere ("X II Electronics", "X III", "X Plus"). Agencies
    keep both when they abbreviate (Cty CP, Cty TNHH, JSC, Co., Ltd). The
    ordinals run to X: V and X were missing until 2026-12-06, and seed 2051's
    "Logistics Trường Thịnh X" took the records of "Logistics Trường Thịnh". -#}
{% macro legal_form(column) -%}
    case
        when {{ fold_text(column) }} ~ '\m(co phan|cp|jsc|joint stock)\M' then 'joint_stock'
        when {{ fold_text(column) }} ~ '\m(tnhh|trach nhiem huu han|ltd|limited|llc)\M' then 'limited'
    end
{%- endmacro %}

{% macro name_suffix(column) -%}
    coalesce((select string_agg(m[1], ' ') from regexp_matches({{ normalise_name(column) }},
        '\m(ii|iii|iv|v|vi|vii|viii|ix|x|plus|[0-9]+)\M', 'g') as m), '')
{%- endmacro %}

{#- The names int_names_normalised holds: every name and English name of
    int_delivery_identities_counted, with or without a tax code. -#}
{% macro identity_names() -%}
    select name from {{ ref('int_delivery_identities_counted') }} where name is not null
    union all
    select name_en from {{ ref('int_delivery_identities_counted') }} where name_en is not null
{%- endmacro %}

{#- Key of an address and area pair in int_addresses_normalised: the row's
    text tells a missing part from an empty one. -#}
{% macro place_key(address, admin_area) -%}
    md5(row({{ address }}, {{ admin_area }})::text)
{%- endmacro %}
