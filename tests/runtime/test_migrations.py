"""The committed aerich migrations match the models (run ``make migrations`` after changing a model)."""

from __future__ import annotations

import shutil
from pathlib import Path

from aerich import Command
from tortoise import Tortoise

from runtime import db
from runtime.settings import Settings


async def test_models_have_no_unmigrated_changes(settings: Settings, tmp_path: Path) -> None:
    dialect = db.dialect(settings.database_url)
    location = tmp_path / "migrations"
    shutil.copytree(db.MIGRATIONS_DIR / dialect, location / dialect)
    cmd = Command(tortoise_config=db.tortoise_config(settings.database_url), app="models",
                  location=str(location / dialect))
    try:
        await cmd.init()
        applied = await cmd.upgrade(run_in_transaction=True)
        assert applied, "no migrations were applied to a fresh database"
        await cmd.init()  # aerich reads the last applied version at init
        pending = await cmd.migrate("drift_check")
    finally:
        await Tortoise.close_connections()
    assert not pending, f"models changed without a migration ({pending}): run `make migrations`"
