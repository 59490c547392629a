"""The results store: one SQLite row per point, keyed by a hash of the point, plus JSON.

Rows are written by the sweep's driver as points finish, so an interrupted sweep keeps
every finished point and a restart runs only the missing ones; two sweeps with the same
model, data and settings (the spec's identity) share rows for the points they share.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

METRIC_COLUMNS = (("accuracy", "REAL"), ("instructions", "INTEGER"), ("flash", "INTEGER"), ("ram", "INTEGER"),
                  ("energy_uj", "REAL"), ("weights", "INTEGER"), ("arena", "INTEGER"), ("bit_exact", "TEXT"),
                  ("graph", "TEXT"))
COLUMNS = ("key", "params", "status", "reason", *(c for c, _ in METRIC_COLUMNS), "timing", "finished")


class Store:
    """results.sqlite in the sweep's output folder: read when it exists, created (with its
    folder) only when the first row is put, so a sweep that never ran a point leaves nothing."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.db = self._connect() if self.path.is_file() else None

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        cols = ", ".join(f"{c} {t}" for c, t in METRIC_COLUMNS)
        db.execute(f"CREATE TABLE IF NOT EXISTS points (key TEXT PRIMARY KEY, params TEXT NOT NULL, "
                   f"status TEXT NOT NULL, reason TEXT, {cols}, timing TEXT, finished REAL)")
        db.commit()
        return db

    def close(self) -> None:
        if self.db is not None:
            self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def has(self, key: str) -> bool:
        if self.db is None:
            return False
        return self.db.execute("SELECT 1 FROM points WHERE key = ?", (key,)).fetchone() is not None

    def put(self, key: str, params: dict, row: dict) -> None:
        if self.db is None:
            self.db = self._connect()
        values = [key, json.dumps(params, sort_keys=True), row["status"], row.get("reason"),
                  *(row.get(c) for c, _ in METRIC_COLUMNS), json.dumps(row.get("timing") or {}), time.time()]
        self.db.execute(f"INSERT OR REPLACE INTO points ({', '.join(COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(COLUMNS))})", values)
        self.db.commit()

    def get(self, key: str) -> dict | None:
        if self.db is None:
            return None
        cur = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM points WHERE key = ?", (key,))
        found = cur.fetchone()
        if found is None:
            return None
        row = dict(zip(COLUMNS, found))
        row["params"] = json.loads(row["params"])
        row["timing"] = json.loads(row["timing"] or "{}")
        return row

    def rows(self, keys: list[str]) -> list[dict]:
        """The stored rows of these points, in this order (missing ones left out)."""
        return [r for r in (self.get(k) for k in keys) if r is not None]

    def export_json(self, keys: list[str], path: str | Path) -> Path:
        Path(path).write_text(json.dumps(self.rows(keys), indent=1, sort_keys=True) + "\n")
        return Path(path)


def comparable(row: dict) -> dict:
    """A row without what differs from run to run (wall times, when it finished)."""
    return {k: v for k, v in row.items() if k not in ("timing", "finished")}
