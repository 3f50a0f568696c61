"""Multiprocess metrics under the server: what the runner sets up, free of early imports.

prometheus_client picks its storage when first imported, so this module does not import
it at load time: the server's master calls :func:`prepare_multiprocess` before the app
is loaded. Only counters and histograms are kept (no live gauges), so a worker that exits
leaves nothing to forget: its counts stay in the totals, as they must.
"""

from __future__ import annotations

import os
import sys
import tempfile

ENV_VAR = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess(path: str | os.PathLike[str] | None = None) -> str:
    """Set up multiprocess metrics for a server about to fork workers; returns the folder.

    Call in the server's master before the app (and so prometheus_client) is imported.
    Creates the folder (a fresh temporary one when ``path`` is None), removes the files a
    previous run left there, and sets ``PROMETHEUS_MULTIPROC_DIR`` for this process and
    the workers it forks.
    """
    client_values = sys.modules.get("prometheus_client.values")
    if client_values is not None and not getattr(client_values.ValueClass, "_multiprocess", 0):
        raise RuntimeError("prometheus_client was imported before multiprocess mode was set up")
    folder = os.fspath(path) if path is not None else tempfile.mkdtemp(prefix="ascn-kg-metrics-")
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.remove(os.path.join(folder, name))
    os.environ[ENV_VAR] = folder
    return folder
