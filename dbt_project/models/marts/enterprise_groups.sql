-- One row per enterprise in a group: enterprises whose register names the
-- same ultimate parent (else the same lead foreign investor) are one group.
-- Sister companies stay two enterprises: a group never merges enterprise
-- ids, and entity resolution (marts.enterprise_links) does not read it.
-- group_id hashes the normalised parent name, so it is the same in every
-- rebuild and after a re-delivery that keeps the parent's name.
select
    g.group_id::text as group_id,
    g.group_name::text as group_name,
    g.enterprise_id::text as enterprise_id,
    (case when g.basis = 'ultimate_parent' then 'subsidiary' else 'investee' end)::text as role,
    g.basis::text as basis,
    (count(*) over (partition by g.group_id))::integer as members
from {{ ref('int_enterprise_group_keys') }} as g
join {{ ref('dim_enterprise') }} as e on e.enterprise_id = g.enterprise_id
