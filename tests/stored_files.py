"""What the file tests share: the smallest PNG, and what a test's storage directory and tables hold."""

from __future__ import annotations

import base64
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Table, func, select

# The smallest well-formed PNG (1x1, greyscale).
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==")


def stored(storage_dir: Path) -> list[Path]:
    """Every file under a local storage directory (none when it was never created)."""
    return sorted(path for path in storage_dir.rglob("*") if path.is_file()) if storage_dir.exists() else []


async def count_rows(app: FastAPI, table: Table) -> int:
    """How many rows `table` holds, read through the app's own database."""
    async with app.state.database.connect() as conn:
        count: int = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
    return count
