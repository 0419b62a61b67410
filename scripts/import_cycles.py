"""List import cycles between the packages and top-level modules of `safety` (grimp).

    python scripts/import_cycles.py            # exit 1 and list them when there are any
    python scripts/import_cycles.py --edges    # also print who imports whom, package by package

A "package" here is `safety.<name>`: a feature package (alerts, dispatch, ...) or a top-level
module (errors, extensions, ...). An import from anywhere inside one to anywhere inside another
is an edge; any strongly connected group of two or more is a cycle. Imports inside functions
count too: a late import hides a cycle from Python, not from the design.
"""

from __future__ import annotations

import sys
from collections import defaultdict

import grimp

ROOT = "safety"


def unit(module: str) -> str:
    return ".".join(module.split(".")[:2])


def package_edges(graph) -> dict[str, dict[str, list[str]]]:
    """unit -> unit -> example 'a imports b' lines."""
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = unit(module), unit(imported)
            if a != b and b.startswith(ROOT + ".") and a.startswith(ROOT + "."):
                edges[a][b].append(f"{module} -> {imported}")
    return edges


def cycles(edges: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Strongly connected groups of two or more units (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(found)


def main(argv: list[str]) -> int:
    graph = grimp.build_graph(ROOT, include_external_packages=False)
    edges = package_edges(graph)
    if "--edges" in argv:
        for a in sorted(edges):
            print(f"{a} -> {', '.join(sorted(edges[a]))}")
    groups = cycles(edges)
    if not groups:
        print("no import cycles between safety's packages")
        return 0
    for group in groups:
        print("import cycle: " + " <-> ".join(group))
        members = set(group)
        for a in group:
            for b, lines in sorted(edges[a].items()):
                if b in members:
                    print(f"    {lines[0]}" + (f"  (+{len(lines) - 1} more)" if len(lines) > 1
                                               else ""))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
