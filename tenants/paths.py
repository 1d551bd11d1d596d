"""Where the project's data folders are: meta-schemas and seed bundles.

The repository is installed in editable mode (``make`` does ``pip install -e``), so the folders
that hold no Python (``schemas/``, ``seeds/``) are found beside the packages.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = ROOT / "schemas"
SEEDS_DIR = ROOT / "seeds"
TEMPLATES_DIR = SEEDS_DIR / "templates"
DEMO_DIR = SEEDS_DIR / "demo"
