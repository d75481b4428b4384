"""What the two MLflow checking scripts share: the mlflow venv, the client on a store, and
ok/FAIL lines with a failure count.

MLflow >= 3.13 reads a file store only with MLFLOW_ALLOW_FILE_STORE=true (set here).
Creates /tmp/lore-mlflow-venv on first use.
"""
import os
import sys

from lore_venv import ensure_packages

ensure_packages("/tmp/lore-mlflow-venv", imports=["mlflow"], install=["mlflow"])
os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"

import mlflow  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402


def open_store():
    """The store named by the first argument (default ./mlruns): its absolute path and a client."""
    store = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "mlruns")
    return store, MlflowClient(tracking_uri="file:" + store)


class Checks:
    """Prints `ok`/`FAIL` lines and counts the failures."""

    def __init__(self):
        self.failures = 0

    def __call__(self, label, ok, detail=""):
        print(("ok    " if ok else "FAIL  ") + label + (f"  {detail}" if detail else ""))
        self.failures += 0 if ok else 1

    def exit(self):
        sys.exit(1 if self.failures else 0)
