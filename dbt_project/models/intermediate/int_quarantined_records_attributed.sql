-- One row per quarantined row of a delivery in force and the enterprise (or
-- register project) the row as delivered names: the records an agency sent
-- for an enterprise that the loader held back (audit.quarantine), so its
-- figures from that delivery are short by them although the delivery is in
-- force (marts.dataset_coverage says `complete`). Read by fct_enterprise_year
-- (quarantined_records, is_complete) and fis.project_reports
-- (missing_inputs, is_complete): a partial figure must say it is partial.
--
-- Only the datasets those figures read (the investors: fct_enterprise_year's
-- related-party trade). A row names its enterprise by:
-- * `tax_code`: the contract's tax-code column (local_rules.yaml `identity`),
--   normalised as the loader's safe repairs would and passing the check
--   digit (macro tax_code_parent_as_delivered); a branch's code names its
--   parent, as a loaded record's does;
-- * `si_unit_code` (labour employment without a usable tax code): the
--   enterprises entity resolution tied the unit's loaded rows to
--   (marts.fct_employment, any month), normally one;
-- * `lease_id` (land leases without a usable tax code, most of them): the
--   enterprises entity resolution tied the lease's loaded rows to (any
--   snapshot), so a lease delivered by name and address is attributed as its
--   other snapshots are;
-- * `project_code` (registry projects): the project itself, whatever its tax
--   code says; enterprise_id is then the row's own tax code, if usable;
--   (registry investors, which carry no tax code) the project, and the
--   enterprise its loaded row of the same snapshot names: the investors are
--   that enterprise's, so its customs lines' related-party marks of the
--   months using the snapshot are not known whole (fct_customs_lines).
-- A row that names none of these (a mistyped code, an employer known only by
-- a name that was never linked) stays counted at dataset level only
-- (marts.dataset_coverage.rows_quarantined). Rows of superseded or rejected
-- deliveries are not here: they are not in force.
{%- set datasets = [
    ('registry', 'projects'), ('tax', 'cit_returns'), ('tax', 'payments'), ('customs', 'declarations'),
    ('land', 'leases'), ('labour', 'employment'), ('credit', 'loans'), ('fx', 'capital_flows'),
    ('registry', 'investors'),
] %}

with

quarantined as (
    select
        q.agency,
        q.dataset,
        d.period,
        q.delivery_id,
        q.row_number,
        array_to_string(q.reasons, ', ') as reasons,
        case
        {%- for agency, dataset in datasets %}
            when q.agency = '{{ agency }}' and q.dataset = '{{ dataset }}'
                then {{ tax_code_parent_as_delivered("q.original ->> '" ~ identity_column(agency, dataset, 'tax_code') ~ "'") }}
        {%- endfor %}
        end as tax_code,
        case when q.agency = 'labour' and q.dataset = 'employment'
             then nullif(btrim(q.original ->> 'si_unit_code'), '') end as si_unit_code,
        case when q.agency = 'land' and q.dataset = 'leases'
             then nullif(btrim(q.original ->> 'lease_id'), '') end as lease_id,
        case when q.agency = 'registry' and btrim(q.original ->> 'project_code') ~ '^[0-9]{10}$'
             then btrim(q.original ->> 'project_code') end as project_code
    from {{ ref('stg_audit__quarantine') }} as q
    join {{ ref('stg_audit__deliveries') }} as d using (delivery_id)
    where d.status = 'loaded'
      and (q.agency, q.dataset) in (
        {%- for agency, dataset in datasets %}
          ('{{ agency }}', '{{ dataset }}'){{ ',' if not loop.last }}
        {%- endfor %}
      )
),

-- the enterprises a social-insurance unit's loaded rows were linked to
unit_enterprises as (
    select distinct si_unit_code, enterprise_id
    from {{ ref('fct_employment') }}
    where enterprise_id is not null
      and si_unit_code in (select q.si_unit_code from quarantined as q where q.tax_code is null)
),

-- the enterprises a lease's loaded rows (its other snapshots) were linked to
lease_enterprises as (
    select distinct l.lease_id, l.enterprise_id
    from ({{ linked_records('land', 'leases') }}) as l
    where l.enterprise_id is not null
      and l.lease_id in (select q.lease_id from quarantined as q where q.tax_code is null)
),

attributed as (
    select q.*, {{ enterprise_id_from_tax_code('q.tax_code') }} as enterprise_id, 'tax_code' as identified_by
    from quarantined as q
    where q.tax_code is not null
    union all
    select q.*, u.enterprise_id, 'si_unit_code'
    from quarantined as q
    join unit_enterprises as u using (si_unit_code)
    where q.tax_code is null
    union all
    select q.*, l.enterprise_id, 'lease_id'
    from quarantined as q
    join lease_enterprises as l using (lease_id)
    where q.tax_code is null
    union all
    select q.*, null, 'project_code'
    from quarantined as q
    where q.tax_code is null and q.project_code is not null and q.dataset = 'projects'
    union all
    -- an investor row: its project's enterprise in the snapshot, when the project's row was loaded
    select q.*, {{ enterprise_id_from_tax_code('p.tax_code') }}, 'project_code'
    from quarantined as q
    left join {{ ref('stg_registry__projects') }} as p
      on p.project_code = q.project_code and p.snapshot_period = q.period and p.tax_code is not null
    where q.dataset = 'investors' and q.project_code is not null
)

select
    agency::text as agency,
    dataset::text as dataset,
    period::text as period,
    delivery_id::text as delivery_id,
    row_number::bigint as row_number,
    enterprise_id::text as enterprise_id,
    project_code::text as project_code,
    identified_by::text as identified_by,
    reasons::text as reasons
from attributed
