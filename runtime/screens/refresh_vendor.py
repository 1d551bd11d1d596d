"""Re-fetch the browser libraries pinned in ``vendor.json`` from npm, verify them, and rewrite the lock.

The app has no Node build step (DESIGN.md §5): the few browser files it serves are copied out of npm tarballs
into ``static/vendor/<package>/`` and committed. ``vendor.json`` is the lock: for each package the exact
version, the tarball's npm integrity (sha512, as ``npm pack`` reports it) and, per copied file, where it came
from in the tarball and its sha256. A file the tarball lacks but the vendored copy must carry (Alpine's npm
packages ship no licence file) is a ``local`` entry: kept in the repository, checked, never overwritten.

    python -m runtime.screens.refresh_vendor            # re-download the pinned versions, verify, rewrite
    python -m runtime.screens.refresh_vendor --check    # only compare the files on disk with the lock (no network)
    python -m runtime.screens.refresh_vendor --pin htmx.org@2.0.12   # move a pin, then refresh

Re-downloading a pinned version must reproduce the recorded tarball integrity: a registry that serves different
bytes for the same version is refused, not silently accepted. Only ``--pin`` forgets an integrity.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LOCK = HERE / "vendor.json"
VENDOR = HERE / "static" / "vendor"


class VendorError(Exception):
    """The lock, the registry and the files on disk disagree; the message says where."""


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sri_sha512(path: Path) -> str:
    """Subresource-integrity form (``sha512-<base64>``), the form npm records for a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def read_lock(lock: Path = LOCK) -> dict[str, Any]:
    return json.loads(lock.read_text(encoding="utf-8"))


def write_lock(data: dict[str, Any], lock: Path = LOCK) -> None:
    lock.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def locked_files(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every vendored file the lock names (copied and local), with its package, in lock order."""
    return [{**f, "package": p["name"]} for p in data["packages"] for f in [*p["files"], *p.get("local", [])]]


def verify(lock: Path = LOCK, vendor: Path = VENDOR) -> list[str]:
    """Problems between the lock and the files on disk (empty when they agree). Needs no network."""
    data = read_lock(lock)
    problems = []
    named = set()
    for f in locked_files(data):
        path = vendor / f["to"]
        named.add(path)
        if not path.is_file():
            problems.append(f"{f['package']}: {f['to']} is missing")
        elif sha256_file(path) != f["sha256"]:
            problems.append(f"{f['package']}: {f['to']} has sha256 {sha256_file(path)}, the lock says {f['sha256']}")
    for path in sorted(p for p in vendor.rglob("*") if p.is_file()):
        if path not in named:
            problems.append(f"{path.relative_to(vendor)} is not in {lock.name}")
    return problems


def _npm_pack(spec: str, into: Path) -> tuple[Path, str]:
    """Download one tarball with ``npm pack``: (its path, the integrity npm reports)."""
    try:
        done = subprocess.run(["npm", "pack", spec, "--json", "--pack-destination", str(into)], capture_output=True,
                              text=True, check=False, timeout=300)
    except FileNotFoundError as error:
        raise VendorError("npm is not installed: it is needed to refresh the vendored files") from error
    if done.returncode != 0:
        raise VendorError(f"npm pack {spec} failed:\n{done.stderr.strip()}")
    [info] = json.loads(done.stdout)
    return into / info["filename"], info["integrity"]


def _refresh_package(package: dict[str, Any], vendor: Path, work: Path) -> dict[str, Any]:
    spec = f"{package['name']}@{package['version']}"
    tarball, npm_integrity = _npm_pack(spec, work)
    integrity = sri_sha512(tarball)
    if integrity != npm_integrity:
        raise VendorError(f"{spec}: the downloaded tarball hashes to {integrity}, npm says {npm_integrity}")
    if package.get("integrity") and package["integrity"] != integrity:
        raise VendorError(f"{spec}: the registry now serves a tarball with integrity {integrity}, "
                          f"the lock recorded {package['integrity']}; refusing (use --pin to move deliberately)")
    unpacked = work / tarball.stem
    with tarfile.open(tarball) as archive:
        archive.extractall(unpacked, filter="data")
    files = []
    for f in package["files"]:
        source = unpacked / f["from"]
        if not source.is_file():
            raise VendorError(f"{spec}: {f['from']} is not in the tarball")
        target = vendor / f["to"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        files.append({"from": f["from"], "to": f["to"], "sha256": sha256_file(target)})
    local = []
    for f in package.get("local", []):
        target = vendor / f["to"]
        if not target.is_file():
            raise VendorError(f"{spec}: the local file {f['to']} is missing ({f.get('why', '')})")
        local.append({**f, "sha256": sha256_file(target)})
    out = {**package, "integrity": integrity, "files": files}
    if local:
        out["local"] = local
    return out


def refresh(lock: Path = LOCK, vendor: Path = VENDOR) -> list[str]:
    """Re-download every pinned package, verify its tarball, copy its files and rewrite the lock.

    Returns the files removed from ``vendor`` because no package names them any more.
    """
    data = read_lock(lock)
    with tempfile.TemporaryDirectory(prefix="banwen-vendor-") as tmp:
        packages = [_refresh_package(p, vendor, Path(tmp)) for p in data["packages"]]
    data = {**data, "packages": packages}
    write_lock(data, lock)
    named = {vendor / f["to"] for f in locked_files(data)}
    removed = []
    for path in sorted(p for p in vendor.rglob("*") if p.is_file()):
        if path not in named:
            path.unlink()
            removed.append(str(path.relative_to(vendor)))
    return removed


def pin(spec: str, lock: Path = LOCK) -> None:
    """Move one package to another exact version (``name@version``); its integrity is recorded on refresh."""
    name, _, version = spec.rpartition("@")
    if not name or not version:
        raise VendorError(f"--pin wants name@version, got {spec!r}")
    data = read_lock(lock)
    for package in data["packages"]:
        if package["name"] == name:
            package["version"] = version
            package["integrity"] = None
            write_lock(data, lock)
            return
    raise VendorError(f"{name} is not a vendored package; add it to {lock.name} by hand first")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify the files on disk against the lock")
    parser.add_argument("--pin", metavar="NAME@VERSION", action="append", default=[], help="move a pin before refreshing")
    args = parser.parse_args(argv)
    try:
        if not args.check:
            for spec in args.pin:
                pin(spec)
            for path in refresh():
                print(f"removed {path}")
        problems = verify()
    except VendorError as error:
        print(error, file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        data = read_lock()
        print("; ".join(f"{p['name']} {p['version']}" for p in data["packages"]) + f": {len(locked_files(data))} files verified")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
