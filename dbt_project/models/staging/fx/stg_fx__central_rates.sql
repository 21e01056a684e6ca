-- One row per day and currency published by the State Bank.
with

deliveries as (
    {{ in_force_deliveries('fx', 'central_rates') }}
),

source as (
    select s.*, d.period
    from {{ source('raw_fx', 'central_rates') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('fx', 'central_rates') }} as source_key,
        currency,
        -- numbers
        vnd_per_unit,
        -- dates
        rate_date,
        -- lineage
        period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
)

select * from renamed
