{#- The two report periods of Form A.III.1 (Circular 03/2021/TT-BKHĐT) a day
    falls in: its quarter `YYYY-Qn` (is_quarterly) and its year `YYYY`. A
    lateral join: each input row comes out once per period. -#}
{% macro fis_report_periods(day) -%}
    cross join lateral (values
        (to_char({{ day }}, 'YYYY') || '-Q' || extract(quarter from {{ day }})::int, true),
        (to_char({{ day }}, 'YYYY'), false)
    ) as p (report_period, is_quarterly)
{%- endmacro %}
