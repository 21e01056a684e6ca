-- One row per year with labour employment data on FDI employers: the share
-- of trained workers (vocational or higher) in the FDI sector's workforce,
-- percent (Decision 3055/QĐ-UBND, programme Part I.3: "Tỷ trọng lao động qua
-- đào tạo trong cơ cấu sử dụng lao động", a target of the FDI sector).
-- Person-months: every month's headcount weighs equally, so the year's share
-- is sum(trained) / sum(total) over its months.
-- Employers are tied to enterprises by entity resolution (marts.fct_employment,
-- through marts.enterprise_links): an employer reported by name and address
-- without a tax code counts once linked; an unmatched one is left out, since
-- nothing says whether it is foreign-invested. A year with no linked FDI
-- employer has no row, so programme_targets reports it as no_data, never 0 %.
with

fdi_enterprises as (
    select enterprise_id from {{ ref('dim_enterprise') }}
    where is_fdi
),

employment as (
    select e.*
    from {{ ref('fct_employment') }} as e
    join fdi_enterprises as f on f.enterprise_id = e.enterprise_id
)

select
    'trained_workforce_share'::text as indicator_code,
    left(period, 4)::int as year,
    round(100.0 * sum(employees_trained) / nullif(sum(employees_total), 0), 2)::numeric(20, 2) as actual,
    sum(employees_trained)::numeric(20, 2) as numerator,
    sum(employees_total)::numeric(20, 2) as denominator
from employment
group by left(period, 4)::int
