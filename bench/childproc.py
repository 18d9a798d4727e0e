"""Running one part of a benchmark in a fresh Python process (its own peak RSS, its own
cold caches): ``run_json(script, args)`` runs ``script --child *args`` from the repository
root and returns the JSON object its last stdout line holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_json(script: str | Path, args: list[str], *, stderr_tail: int = 4000) -> dict:
    cmd = [sys.executable, str(script), "--child", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stderr[-stderr_tail:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
