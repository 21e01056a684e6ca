-- One row per enterprise (tax code) and fiscal year: the amendment in force,
-- the highest amendment_no (README "Known defects" 4).
with

returns as (
    select * from {{ ref('base_tax__cit_returns') }}
),

in_force as (
    select distinct on (tax_code_full, fiscal_year) *
    from returns
    order by tax_code_full, fiscal_year, amendment_no desc, filed_on desc, row_number
)

select * from in_force
