#!/usr/bin/env python3
"""Reads a store Lore wrote in MLflow's file format with the `mlflow` package itself.

    LORE_DUMP_MLFLOW=/tmp/lore-mlruns swift test -c release -Xswiftc -enable-testing --filter MLflowStoreDump
    python3 Scripts/check_mlflow_store.py /tmp/lore-mlruns

Lists experiments, runs (name, status), parameters, metric histories and artifacts, and checks
what the dump wrote. MLflow >= 3.13 reads a file store only with MLFLOW_ALLOW_FILE_STORE=true
(set here). Creates /tmp/lore-mlflow-venv on first use.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mlflow_reading import Checks, mlflow, open_store  # noqa: E402

store, client = open_store()
check = Checks()


experiments = client.search_experiments()
print("mlflow", mlflow.__version__, "experiments:", [(e.experiment_id, e.name) for e in experiments])
check("Default experiment 0 present", any(e.experiment_id == "0" and e.name == "Default" for e in experiments))
target = [e for e in experiments if e.name == "lore-check"]
check("one 'lore-check' experiment", len(target) == 1)
runs = client.search_runs([target[0].experiment_id]) if target else []
for run in runs:
    info = run.info
    history = client.get_metric_history(info.run_id, "train/loss")
    artifacts = [a.path for a in client.list_artifacts(info.run_id, "plots")]
    print(f"run {info.run_id} {info.run_name!r} status {info.status} params {run.data.params} "
          f"train/loss {[(m.step, m.value) for m in history]} artifacts {artifacts}")
    check(f"{info.run_name}: params", run.data.params == {"learning_rate": "0.0003", "model": "SmolLM2-135M-Instruct"})
    check(f"{info.run_name}: loss history", [(m.step, round(m.value, 12)) for m in history]
          == [(s, round(3.0 / s, 12)) for s in range(1, 6)])
    check(f"{info.run_name}: status", info.status == ("FINISHED" if info.run_name == "finished run" else "KILLED"))
    check(f"{info.run_name}: plot artifact", any(a.endswith(".svg") for a in artifacts))
    check(f"{info.run_name}: tags", run.data.tags.get("mlflow.runName") == info.run_name and run.data.tags.get("lore.kind") == "check")
check("two runs", len(runs) == 2)
check.exit()
