"""Guards the house's import graph: no module imports another that imports it back, however indirectly.

The layers themselves are import-linter contracts (pyproject.toml, `make lint`); a cycle inside one layer
(the simulator's population, roles and books importing each other, a package's __init__ and its modules)
passes those, so it is checked here on the same graph import-linter builds (grimp).
"""
from __future__ import annotations

import grimp

PACKAGES = ("sources", "warehouse", "pipelines", "apps", "devtools", "workbench")


def test_no_module_imports_itself_in_a_circle():
    graph = grimp.build_graph(*PACKAGES)
    circles = sorted({tuple(sorted((a, b))) for a in graph.modules for b in graph.find_modules_directly_imported_by(a)
                      if graph.find_shortest_chain(importer=b, imported=a)})
    assert len(graph.modules) > 50
    assert circles == [], f"modules importing each other in a circle: {circles}"
