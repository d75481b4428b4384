"""Shared by Lore's Python check scripts: run inside a virtual environment that has the
packages a script needs, creating it on first use.

    from lore_venv import ensure_packages
    ensure_packages("/tmp/lore-gguf-venv", imports=["gguf", "numpy"], install=["gguf", "numpy"])

If the modules import already, nothing happens. Otherwise the venv is created (once) or, when
it exists but lacks a module, completed; the packages are installed with pip, and the calling
script re-executes itself inside it.
"""
import importlib
import os
import subprocess
import sys


def ensure_packages(venv, imports, install):
    try:
        for name in imports:
            importlib.import_module(name)
        return
    except ImportError:
        pass
    python = os.path.join(venv, "bin", "python")
    marker = "LORE_VENV_REEXEC"
    if os.environ.get(marker):
        sys.exit(f"{', '.join(imports)} still missing inside {venv}")
    if not os.path.exists(python):
        print(f"creating {venv} and installing {', '.join(install)}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        subprocess.check_call([python, "-m", "pip", "install", "--quiet", *install])
    elif subprocess.call([python, "-c", "; ".join(f"import {name}" for name in imports)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0:
        print(f"installing {', '.join(install)} into {venv}", file=sys.stderr)
        subprocess.check_call([python, "-m", "pip", "install", "--quiet", *install])
    os.execve(python, [python] + sys.argv, dict(os.environ, **{marker: "1"}))
