"""`fdi network TAX_CODE`: an enterprise's neighbourhood in the enterprise network, as text and as an SVG picture.

Reads `marts.enterprise_relationships` (both directions: where the enterprise
is the subject, and where another enterprise names it) and the enterprise's
group in `marts.enterprise_groups`. The picture is laid out by hand (the
enterprise in the centre, one node per neighbour on a circle, an edge per
relationship kind, coloured by kind), so it needs no graph library and the
same warehouse gives the same bytes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import psycopg

# One colour per relationship kind (the kinds of warehouse.md, marts.enterprise_relationships).
KIND_COLOURS = {
    "investor": "#1f77b4", "ultimate_parent": "#08306b", "same_group": "#6a3d9a",
    "disclosed_related_party": "#2ca02c", "trade_partner": "#ff7f0e", "lender": "#d62728",
    "foreign_manager": "#8c564b", "shared_address": "#7f7f7f", "shared_bank_account": "#e377c2",
}


class NetworkError(Exception):
    """An expected failure, told to the user in one sentence."""


@dataclass(frozen=True)
class Edge:
    relationship: str
    agency: str
    dataset: str
    first_seen: object
    last_seen: object
    records: int
    amount_vnd: object


@dataclass
class Neighbour:
    key: str  # enterprise id or party node
    label: str
    country: str | None
    is_enterprise: bool
    edges: list[Edge] = field(default_factory=list)

    def years(self) -> str:
        firsts = [e.first_seen.year for e in self.edges if e.first_seen]
        lasts = [e.last_seen.year for e in self.edges if e.last_seen]
        if not firsts:
            return "-"
        return f"{min(firsts)}" if min(firsts) == max(lasts) else f"{min(firsts)}-{max(lasts)}"


@dataclass
class Neighbourhood:
    enterprise_id: str
    tax_code: str
    name: str
    is_fdi: bool
    group: tuple[str, str, int] | None  # group id, name, members
    neighbours: list[Neighbour]


def fetch(pg: psycopg.Connection, tax_code: str) -> Neighbourhood:
    if pg.execute("select to_regclass('marts.enterprise_relationships')").fetchone()[0] is None:
        raise NetworkError("marts.enterprise_relationships does not exist yet: run `fdi run` (dbt build) first.")
    row = pg.execute("select enterprise_id, tax_code, coalesce(name_vi, name_en, tax_code), coalesce(is_fdi, false) "
                     "from marts.dim_enterprise where tax_code = %s", (tax_code.strip(),)).fetchone()
    if row is None:
        raise NetworkError(f"no enterprise with tax code {tax_code} in marts.dim_enterprise.")
    enterprise_id, code, name, is_fdi = row
    group = pg.execute("select group_id, group_name, members from marts.enterprise_groups where enterprise_id = %s",
                       (enterprise_id,)).fetchone()
    rows = pg.execute(
        """
        select coalesce(r.related_enterprise_id, r.related_party) as node,
               r.related_enterprise_id is not null as is_enterprise,
               coalesce(d.tax_code || ' ' || coalesce(d.name_vi, d.name_en, ''), r.related_party_name,
                        r.related_party) as label,
               r.related_party_country, r.relationship, r.agency, r.dataset, r.first_seen, r.last_seen,
               r.records, r.amount_vnd
        from marts.enterprise_relationships as r
        left join marts.dim_enterprise as d on d.enterprise_id = r.related_enterprise_id
        where r.enterprise_id = %(id)s
        union all
        -- enterprises that name this one (a sister, a shared address seen from the other side) are
        -- already rows of it when symmetric; parties are never subjects, so nothing else to add
        select r.enterprise_id, true, d.tax_code || ' ' || coalesce(d.name_vi, d.name_en, ''), null,
               r.relationship, r.agency, r.dataset, r.first_seen, r.last_seen, r.records, r.amount_vnd
        from marts.enterprise_relationships as r
        join marts.dim_enterprise as d on d.enterprise_id = r.enterprise_id
        where r.related_enterprise_id = %(id)s
          and not exists (select 1 from marts.enterprise_relationships as s
                          where s.enterprise_id = %(id)s and s.related_enterprise_id = r.enterprise_id
                            and s.relationship = r.relationship)
        order by 1, 5, 6, 7
        """, {"id": enterprise_id}).fetchall()
    neighbours: dict[str, Neighbour] = {}
    for node, is_enterprise, label, country, relationship, agency, dataset, first, last, records, amount in rows:
        n = neighbours.setdefault(node, Neighbour(node, label or node, country, is_enterprise))
        n.edges.append(Edge(relationship, agency, dataset, first, last, records, amount))
    return Neighbourhood(enterprise_id, code, name, is_fdi, group, list(neighbours.values()))


def format_text(hood: Neighbourhood) -> str:
    lines = [f"{hood.tax_code} {hood.name} ({'FDI' if hood.is_fdi else 'domestic'})"]
    if hood.group:
        lines.append(f"group {hood.group[1]} ({hood.group[0]}, {hood.group[2]} enterprise(s) in the warehouse)")
    if not hood.neighbours:
        lines.append("no relationship seen")
        return "\n".join(lines)
    lines.append(f"{'party':<48}{'country':<8}{'relationship':<25}{'source':<26}{'years':<11}{'records':>8}"
                 f"{'amount VND':>20}")
    for n in sorted(hood.neighbours, key=lambda x: (not x.is_enterprise, x.label)):
        for k, e in enumerate(n.edges):
            label = (n.label[:46] if k == 0 else "")
            amount = f"{int(e.amount_vnd):,}".replace(",", ".") if e.amount_vnd is not None else ""
            years = (f"{e.first_seen.year}-{e.last_seen.year}" if e.first_seen and e.last_seen
                     and e.first_seen.year != e.last_seen.year else str(e.first_seen.year) if e.first_seen else "-")
            lines.append(f"{label:<48}{(n.country or '') if k == 0 else '':<8}{e.relationship:<25}"
                         f"{e.agency + '/' + e.dataset:<26}{years:<11}{e.records:>8}{amount:>20}")
    return "\n".join(lines)


def render_svg(hood: Neighbourhood, size: int = 900) -> str:
    """The neighbourhood as a standalone SVG: the enterprise in the centre, neighbours on a circle.

    The canvas is wider than high so that labels (up to about 70 characters at 11 px) fit on either side."""
    width = size + 500
    centre = size / 2
    cx = width / 2
    radius = size / 2 - 150
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{size}" '
           f'viewBox="0 0 {width} {size}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{size}" fill="white"/>',
           f'<text x="10" y="20" font-size="14">{escape(hood.tax_code)} {escape(hood.name)}</text>']
    count = max(1, len(hood.neighbours))
    for i, n in enumerate(sorted(hood.neighbours, key=lambda x: (not x.is_enterprise, x.label))):
        angle = 2 * math.pi * i / count - math.pi / 2
        x, y = cx + radius * math.cos(angle), centre + radius * math.sin(angle)
        kinds = sorted({e.relationship for e in n.edges})
        for k, kind in enumerate(kinds):
            # parallel edges offset a little so each kind shows
            off = (k - (len(kinds) - 1) / 2) * 4
            dx, dy = -math.sin(angle) * off, math.cos(angle) * off
            out.append(f'<line x1="{cx + dx:.1f}" y1="{centre + dy:.1f}" x2="{x + dx:.1f}" y2="{y + dy:.1f}" '
                       f'stroke="{KIND_COLOURS.get(kind, "#000")}" stroke-width="2"/>')
        shape = (f'<rect x="{x - 7:.1f}" y="{y - 7:.1f}" width="14" height="14" fill="#4c78a8"/>' if n.is_enterprise
                 else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="7" fill="#f2b701"/>')
        out.append(shape)
        anchor = "start" if math.cos(angle) >= 0 else "end"
        tx = x + (12 if anchor == "start" else -12)
        sources = ", ".join(sorted({f"{e.agency}/{e.dataset}" for e in n.edges}))
        out.append(f'<text x="{tx:.1f}" y="{y - 2:.1f}" text-anchor="{anchor}">{escape(n.label[:40])}'
                   f'{" (" + escape(n.country) + ")" if n.country else ""}</text>')
        out.append(f'<text x="{tx:.1f}" y="{y + 11:.1f}" text-anchor="{anchor}" fill="#555">'
                   f'{escape((", ".join(kinds) + " · " + sources)[:80])} · {escape(n.years())}</text>')
    out.append(f'<circle cx="{cx}" cy="{centre}" r="14" fill="#c0392b"/>')
    out.append(f'<text x="{cx}" y="{centre + 30}" text-anchor="middle" font-weight="bold">'
               f'{escape(hood.tax_code)}</text>')
    for k, (kind, colour) in enumerate(KIND_COLOURS.items()):
        out.append(f'<line x1="10" y1="{size - 150 + 15 * k}" x2="30" y2="{size - 150 + 15 * k}" '
                   f'stroke="{colour}" stroke-width="3"/>')
        out.append(f'<text x="36" y="{size - 146 + 15 * k}">{kind}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_svg(hood: Neighbourhood, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_svg(hood), encoding="utf-8")
    return path
