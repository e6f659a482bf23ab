"""A throw-away Redis server on its own Unix socket, for tests that stop and start the broker."""

import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import redis


class DisposableRedis:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="oms-redis-"))
        self.socket = self.dir / "redis.sock"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def broker_url(self) -> str:
        return f"redis+socket://{self.socket}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", "0", "--unixsocket",
             str(self.socket), "--dir", str(self.dir), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def reset_broker_connections() -> None:
    """Drops pooled broker connections so the next publish connects to the current broker URL."""
    from kombu import pools

    from oms.celery import app as celery_app

    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def celery_broker(server: "DisposableRedis"):
    """Points the Celery app at ``server`` for the duration of the block."""
    from oms.celery import app as celery_app

    old_url = celery_app.conf.broker_url
    celery_app.conf.broker_url = server.broker_url
    reset_broker_connections()
    try:
        yield server
    finally:
        celery_app.conf.broker_url = old_url
        reset_broker_connections()


def wait_for(predicate, timeout: float = 20.0) -> bool:
    """Polls ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
