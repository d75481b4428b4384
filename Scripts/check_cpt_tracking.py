#!/usr/bin/env python3
"""Reads the MLflow store `lore cpt --tracking-dir DIR` wrote, with the `mlflow` package itself.

    lore cpt --model M --data corpus.txt --output out --tracking-dir /tmp/mlruns ...
    python3 Scripts/check_cpt_tracking.py /tmp/mlruns

Lists every run of every experiment (name, status, parameters, the train/val metric histories,
artifacts) and checks what a training run must hold: the hyper-parameters, one point per step in
each metric (a resumed run drops the points after its checkpoint, so none is duplicated), and the
SVG loss plot among the artifacts of a finished run. MLflow >= 3.13 reads a file store only with
MLFLOW_ALLOW_FILE_STORE=true (set here). Creates /tmp/lore-mlflow-venv on first use.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mlflow_reading import Checks, mlflow, open_store  # noqa: E402

store, client = open_store()
check = Checks()


experiments = client.search_experiments()
print("mlflow", mlflow.__version__, "store", store)
print("experiments:", [(e.experiment_id, e.name) for e in experiments])
runs = [r for e in experiments for r in client.search_runs([e.experiment_id])]
check("at least one run", len(runs) >= 1)
for run in runs:
    info, data = run.info, run.data
    print(f"\nrun {info.run_id} {info.run_name!r} status {info.status}")
    print("  params:", dict(sorted(data.params.items())))
    for key in sorted(data.metrics):
        history = client.get_metric_history(info.run_id, key)
        steps = [m.step for m in history]
        shown = [(m.step, round(m.value, 4)) for m in history]
        print(f"  {key}: {len(history)} points {shown[:4]}{' …' if len(shown) > 4 else ''} last {shown[-1]}")
        check(f"{info.run_name}: {key} has one point per step", len(steps) == len(set(steps)) and steps == sorted(steps))
    artifacts = [a.path for a in client.list_artifacts(info.run_id)]
    print("  artifacts:", artifacts)
    if data.tags.get("lore.task") == "cpt":
        for key in ["learning_rate", "max_steps", "per_device_train_batch_size", "sequence_length", "base_model"]:
            check(f"{info.run_name}: param {key}", key in data.params, data.params.get(key, ""))
        check(f"{info.run_name}: train/loss logged", "train/loss" in data.metrics)
        if info.status == "FINISHED":
            check(f"{info.run_name}: loss.svg artifact", "loss.svg" in artifacts)
check.exit()
