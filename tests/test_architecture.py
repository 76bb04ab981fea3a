"""The rules of docs/ARCHITECTURE.md, checked on the source: who may import whom, and who commits."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.imports import Graph, cycles, import_graph, modules_of

ROOT = Path(__file__).resolve().parents[1]
# the rooms above the foundation: the domains, and web (what a browser is served: static assets, pages)
DOMAINS = ("auth", "projects", "plates", "uploads", "runs", "cuts", "sweep", "reels", "corrections",
           "drops", "trackers", "web", "webhooks")
COMPOSING = ("flows", "router")  # the only kinds of module that compose several domains' services
LEAF_KINDS = ("service", *COMPOSING)  # what another domain's leaf modules must not import
# below every domain: they import none of them
FOUNDATION = ("api.db", "api.errors", "api.urls", "api.validation", "api.ttl_cache", "api.rate_limit",
              "api.observability", "api.body_limit", "api.problem_handlers", "api.config", "api.integrations")
TRANSACTION_OWNER = "api.db.unit_of_work"
# the ticks call flows too: the reconcile's, the sweep's, the drop folders', the tracker publishes'
TICKS = ("api.runs.reconcile", "api.sweep.tick", "api.drops.tick", "api.trackers.tick")


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph(ROOT, ("api", "jobs"))


def _domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "api" and parts[1] in DOMAINS else None


def _kind(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_no_import_cycle_in_api_or_jobs(graph: Graph) -> None:
    assert cycles(graph) == []


def test_the_cycle_finder_sees_a_cycle_through_a_lazy_import(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from pkg.b import thing\n")
    (tmp_path / "pkg" / "b.py").write_text("def thing():\n    from pkg import a\n    return a\n")
    assert cycles(import_graph(tmp_path, ("pkg",))) == [["pkg.a", "pkg.b"]]


def test_leaf_modules_import_no_other_domains_services_flows_or_routers(graph: Graph) -> None:
    offenders = [f"{module} -> {target}" for module, targets in graph.items()
                 if (domain := _domain(module)) and _kind(module) not in COMPOSING
                 for target in targets
                 if _domain(target) not in (None, domain) and _kind(target) in LEAF_KINDS]
    assert offenders == []


def test_routers_are_imported_by_the_app_alone(graph: Graph) -> None:
    offenders = [f"{module} -> {target}" for module, targets in graph.items() for target in targets
                 if _kind(target) == "router" and module != "api.app"
                 and not target.startswith("api.integrations.disk")]
    assert offenders == []


def test_flows_are_called_by_routers_and_the_ticks(graph: Graph) -> None:
    offenders = [f"{module} -> {target}" for module, targets in graph.items() for target in targets
                 if _kind(target) == "flows" and _kind(module) != "router" and module not in TICKS]
    assert offenders == []


def test_the_foundation_and_integrations_import_no_domain(graph: Graph) -> None:
    offenders = [f"{module} -> {target}" for module, targets in graph.items()
                 if _within(module, FOUNDATION) for target in targets if _domain(target)]
    assert offenders == []


def test_only_the_unit_of_work_commits_or_rolls_back() -> None:
    offenders = []
    for module, path in modules_of(ROOT, ("api",)).items():
        if module == TRANSACTION_OWNER:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("commit", "rollback")):
                offenders.append(f"{module}:{node.lineno} .{node.func.attr}()")
    assert offenders == []
