"""Shared plumbing for the benchmarks that need data of their own: a separate database, ``oms_bench``.

``bench/run.py`` runs with the dev settings; these benchmarks never touch that database. Each one calls
``run_inner(module, **params)``, which creates and migrates ``oms_bench`` (once), then runs the module's
``inner(**params)`` in a child process whose ``DATABASE_URL`` points at it, and returns its JSON result.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("BENCH_DB", "oms_bench")
PGBIN = Path("/usr/lib/postgresql/15/bin")


def socket_dir() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    return str(db.get("HOST") or db.get("OPTIONS", {}).get("host") or "/var/run/postgresql")


def admin_connect(dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(host=socket_dir(), user="postgres", dbname=dbname, autocommit=True)


def create_database(name: str, *, fresh: bool = False) -> None:
    with admin_connect() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_env(database: str = BENCH_DB) -> dict:
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgres://postgres@/{database}?host={socket_dir()}"
    env["DJANGO_SETTINGS_MODULE"] = "oms.settings"
    env["PYTHONPATH"] = str(ROOT)
    return env


def ensure_bench_database(database: str = BENCH_DB) -> None:
    create_database(database)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                   env=bench_env(database), check=True)


def run_inner(module: str, *, database: str = BENCH_DB, env: dict | None = None, **params) -> dict:
    """Runs ``bench.<module>.inner(**params)`` against ``database`` (default ``oms_bench``) in a child process.

    A benchmark whose data would disturb the others (millions of stock rows, extra active locations) names
    a database of its own; ``env`` adds environment variables for that process (e.g. its own Redis database).
    Returns the child's dict.
    """
    ensure_bench_database(database)
    code = (
        "import json, sys, django; django.setup(); "
        f"from bench.{module} import inner; "
        f"print('BENCH-RESULT ' + json.dumps(inner(**json.loads(sys.argv[1]))))"
    )
    done = subprocess.run([sys.executable, "-c", code, json.dumps(params)], cwd=ROOT,
                          env={**bench_env(database), **(env or {})}, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"bench.{module} failed:\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH-RESULT "))
    return json.loads(line[len("BENCH-RESULT "):])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))
