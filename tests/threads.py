"""Running test steps at the same moment in threads of their own, as concurrent requests or workers would."""

import threading
from collections.abc import Callable

from django.db import connection


def run_together(steps: list[Callable[[], object]]) -> list[object]:
    """Runs each step in a thread of its own, all released at once by a barrier, each on its own database
    connection (closed when the step ends). Returns, in the steps' order, what each step returned or the
    exception it raised, for the caller's assertions."""
    barrier = threading.Barrier(len(steps))
    outcomes: list[object] = [None] * len(steps)

    def run(index: int, step: Callable[[], object]) -> None:
        try:
            barrier.wait()
            outcomes[index] = step()
        except Exception as exc:  # noqa: BLE001 - returned: the caller's assertion shows what went wrong
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, step)) for index, step in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
