"""The vendored browser libraries match their lock (runtime/screens/vendor.json), byte for byte, with no
network; the lock pins what DESIGN.md §5 asks for; the app serves the files with types a browser accepts
under our Content-Security-Policy.

Refreshing from npm (``make vendor``) needs the registry and is not run here.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from webtools import open_web

from runtime.screens import refresh_vendor
from runtime.screens.refresh_vendor import LOCK, VENDOR, locked_files, read_lock, verify
from runtime.settings import Settings

STATIC = VENDOR.parent


def test_every_vendored_file_matches_the_lock() -> None:
    assert verify() == []
    assert len(locked_files(read_lock())) >= 9


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    vendor = tmp_path / "vendor"
    shutil.copytree(VENDOR, vendor)
    lock = tmp_path / "vendor.json"
    shutil.copyfile(LOCK, lock)
    return lock, vendor


def test_a_changed_file_is_noticed(tmp_path: Path) -> None:
    lock, vendor = _copy(tmp_path)
    htmx = vendor / "htmx.org" / "htmx.min.js"
    htmx.write_bytes(htmx.read_bytes().replace(b"htmx", b"htmX", 1))
    [problem] = verify(lock, vendor)
    assert problem.startswith("htmx.org: htmx.org/htmx.min.js has sha256 ")


def test_a_missing_or_unlisted_file_is_noticed(tmp_path: Path) -> None:
    lock, vendor = _copy(tmp_path)
    (vendor / "sortablejs" / "LICENSE").unlink()
    (vendor / "sortablejs" / "extra.js").write_text("// not pinned\n")
    assert verify(lock, vendor) == ["sortablejs: sortablejs/LICENSE is missing", "sortablejs/extra.js is not in vendor.json"]


def test_the_lock_pins_what_the_design_asks_for() -> None:
    packages = {p["name"]: p for p in read_lock()["packages"]}
    assert set(packages) == {"htmx.org", "@alpinejs/csp", "@goplasmatic/datalogic", "sortablejs"}
    assert packages["htmx.org"]["version"].startswith("2."), "htmx is pinned to 2.x: 4.0 is a rewrite"
    for name, package in packages.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"]), f"{name} is not pinned to an exact version"
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", package["integrity"] or ""), f"{name} has no tarball integrity"
        targets = [f["to"] for f in [*package["files"], *package.get("local", [])]]
        assert f"{name}/LICENSE" in targets, f"{name} is vendored without its licence"
        assert all(t.startswith(name + "/") for t in targets), f"{name} writes outside vendor/{name}/"
    datalogic = {f["to"] for f in packages["@goplasmatic/datalogic"]["files"]}
    assert {"@goplasmatic/datalogic/datalogic_wasm.js", "@goplasmatic/datalogic/datalogic_wasm_bg.wasm"} <= datalogic


def test_logic_js_loads_the_vendored_datalogic_files() -> None:
    """logic.js loads exactly the vendored files; nothing else of the package is needed at run time."""
    source = (STATIC / "js" / "logic.js").read_text(encoding="utf-8")
    imported = re.findall(r'"\.\./vendor/([^"]+)"', source)
    assert imported == ["@goplasmatic/datalogic/datalogic_wasm.js", "@goplasmatic/datalogic/datalogic_wasm_bg.wasm"]
    assert all((VENDOR / path).is_file() for path in imported)


def test_pin_moves_a_version_and_forgets_its_integrity(tmp_path: Path) -> None:
    lock, _vendor = _copy(tmp_path)
    refresh_vendor.pin("sortablejs@1.15.6", lock)
    [sortable] = [p for p in read_lock(lock)["packages"] if p["name"] == "sortablejs"]
    assert sortable["version"] == "1.15.6" and sortable["integrity"] is None
    with pytest.raises(refresh_vendor.VendorError, match="not a vendored package"):
        refresh_vendor.pin("left-pad@1.3.0", lock)


@pytest.mark.parametrize(("path", "content_type"), [
    ("/static/js/logic.js", "text/javascript"),
    ("/static/vendor/@goplasmatic/datalogic/datalogic_wasm.js", "text/javascript"),
    ("/static/vendor/@goplasmatic/datalogic/datalogic_wasm_bg.wasm", "application/wasm"),
    ("/static/vendor/htmx.org/htmx.min.js", "text/javascript"),
    ("/static/vendor/@alpinejs/csp/cdn.min.js", "text/javascript"),
])
async def test_the_app_serves_the_files_with_browser_types(database: Settings, path: str, content_type: str) -> None:
    """Module scripts need a JavaScript type; WebAssembly.instantiateStreaming needs application/wasm."""
    async with open_web(database) as web, web.client() as client:
        response = await client.get(path)
    assert response.status_code == 200, path
    assert response.headers["content-type"].split(";")[0] == content_type
    assert "'wasm-unsafe-eval'" in response.headers["content-security-policy"]
    assert "'unsafe-eval'" not in response.headers["content-security-policy"].replace("'wasm-unsafe-eval'", "")
