"""``make bench``: each figure is measured beside its baseline in the same run, and the ratio printed.

Absolute times drift on noisy machines; the ratios are what to compare between runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import jsonschema

from benchmarks.flows import bench_flows
from benchmarks.rbac import bench_rbac
from benchmarks.records import bench_records
from tenants.bundle import BundleSource
from tenants.demo import plan_city
from tenants.lint import TemplateLibrary, lint_source
from tenants.paths import TEMPLATES_DIR
from tenants.references import Context
from tenants.schema_check import checker_for, meta_schemas
from tenants.yamlio import parse_text


def rate(fn: Callable[[], object], seconds: float = 1.0) -> float:
    """Calls per second of ``fn``, best of three short rounds."""
    best = 0.0
    for _ in range(3):
        n, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 3:
            fn()
            n += 1
        best = max(best, n / elapsed)
    return best


def bench_meta_validation() -> None:
    """The flow meta-schema on the seed 发文 flow: jsonschema-rs (ours) vs pure-Python jsonschema."""
    text = (TEMPLATES_DIR / "gov_documents" / "flows" / "outgoing_doc.yaml").read_text(encoding="utf-8")
    doc = parse_text("flow.yaml", text).data
    ours = checker_for("flow.schema.json")
    from referencing import Registry, Resource

    registry = Registry().with_resources(
        ("https://banwen.local/schemas/" + name, Resource.from_contents(s)) for name, s in meta_schemas().items())
    theirs = jsonschema.Draft202012Validator(meta_schemas()["flow.schema.json"], registry=registry,
                                             format_checker=jsonschema.FormatChecker())
    assert ours.problems(doc) == [] and not list(theirs.iter_errors(doc))
    a = rate(lambda: ours.problems(doc))
    b = rate(lambda: list(theirs.iter_errors(doc)))
    print(f"meta-schema check of a flow      jsonschema-rs {a:10,.0f}/s   jsonschema {b:10,.0f}/s   ratio {a / b:5.1f}×")


def bench_lint_city() -> None:
    """Full lint (meta-schemas + templates + cross-references) of demo units: cold vs template cache warm."""
    plan = plan_city(units=60, users=700)
    sources = [(BundleSource(u.id, u.files()), {p["login"] for p in u.users}) for u in plan.units]

    def run(library: TemplateLibrary) -> float:
        start = time.perf_counter()
        for source, users in sources:
            assert not lint_source(source, library, Context(known_users=users)).errors
        return (time.perf_counter() - start) / len(sources)

    shared = TemplateLibrary()
    run(shared)
    warm = run(shared)
    cold = sum(run(TemplateLibrary()) for _ in range(1)) / 1
    print(f"lint one unit bundle             warm templates {warm * 1000:6.1f} ms   fresh library {cold * 1000:6.1f} ms"
          f"   ratio {cold / warm:4.1f}×   (375 units ≈ {warm * 375:4.1f} s)")


def main() -> None:
    print("Banwen benchmarks (ratios measured side by side in this run)\n")
    bench_meta_validation()
    bench_lint_city()
    bench_rbac()
    bench_records()
    bench_flows()


main()
