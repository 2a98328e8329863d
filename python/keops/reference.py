"""The reference interpreter from Python.

`evaluate(module, args)` runs a function of a keops module in double precision
through `keops-run` and returns its outputs as NumPy arrays. It is the oracle
that tests compare compiled kernels against; it is not fast.
"""

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ._tools import tool_path


class InterpreterError(ValueError):
    """keops-run rejected the module or the inputs; the message says why."""


def evaluate(module, args, entry=None, timeout=600):
    """Evaluates function `entry` (default: the first) of `module` (MLIR text).

    `args` holds one array per function argument (output arguments included:
    their contents are ignored, their shapes give the output sizes); index
    variables (i32 / i64 arguments) take integer arrays. Returns
    the outputs: float64 arrays for values, int64 arrays for indices.
    """
    with tempfile.TemporaryDirectory(prefix="keops-ref-") as tmp:
        tmp = Path(tmp)
        src = tmp / "module.mlir"
        src.write_text(module)
        cmd = [str(tool_path("keops-run")), str(src), "--quiet",
               "--output-dir", str(tmp)]
        if entry:
            cmd += ["--entry", entry]
        for k, a in enumerate(args):
            a = np.asarray(a)
            if a.dtype.kind not in "fiu":
                raise TypeError(f"argument {k}: dtype {a.dtype} is not a float or int type")
            if a.dtype.kind in "iu" and a.dtype not in (np.int32, np.int64):
                # keops-run reads int32 and int64 .npy files.
                if a.size and a.max() > np.iinfo(np.int64).max:
                    raise ValueError(f"argument {k}: values beyond int64")
                a = a.astype(np.int64)
            path = tmp / f"arg{k}.npy"
            np.save(path, np.ascontiguousarray(a))
            cmd += ["--input", f"{k}={path}"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise InterpreterError(proc.stderr.strip() or f"keops-run exited with {proc.returncode}")
        outs = sorted(tmp.glob("out*.npy"), key=lambda p: int(p.stem[3:]))
        return [np.load(p) for p in outs]
