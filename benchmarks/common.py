"""Shared helpers of the benchmark scripts: machine facts, timing, kernels."""

import json
import os
import platform
import statistics
import subprocess
import sys
import time


def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        flags = "avx512f" if "avx512f" in text else ("avx2" if "avx2" in text else "")
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores{', ' + flags if flags else ''}"


def run_child(code, *args):
    """Runs `code` in a fresh Python process (the pykeops drop-in and the
    real pykeops cannot share one) with `args`: (the JSON object it printed
    last, None), or (None, its last error line)."""
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return None, (proc.stderr.strip().splitlines() or ["failed"])[-1]
    return json.loads(proc.stdout.strip().splitlines()[-1]), None


def timed(fn):
    """The wall time of one call of `fn`."""
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def best_of(fn, repeat=3, min_time=0.0):
    """The best wall time of `repeat` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def gaussian_sum_mlir(d, dtype="f32"):
    return f"""
func.func @gaussian(%x: tensor<?x{d}x{dtype}>, %y: tensor<?x{d}x{dtype}>, %b: tensor<?x1x{dtype}>,
                    %out: tensor<?x1x{dtype}>) -> tensor<?x1x{dtype}> {{
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x{d}x{dtype}>, %y : j tensor<?x{d}x{dtype}>, %b : j tensor<?x1x{dtype}>)
      outs(%out : tensor<?x1x{dtype}>) {{
  ^bb0(%xi: vector<{d}x{dtype}>, %yj: vector<{d}x{dtype}>, %bj: vector<1x{dtype}>):
    %d2 = keops.sqdist %xi, %yj : vector<{d}x{dtype}>
    %n = arith.negf %d2 : vector<1x{dtype}>
    %e = math.exp %n : vector<1x{dtype}>
    %v = arith.mulf %e, %bj : vector<1x{dtype}>
    keops.yield %v : vector<1x{dtype}>
  }} -> tensor<?x1x{dtype}>
  return %r : tensor<?x1x{dtype}>
}}
"""


def argkmin_mlir(d, k, dtype="f32"):
    return f"""
func.func @knn(%x: tensor<?x{d}x{dtype}>, %y: tensor<?x{d}x{dtype}>,
               %out: tensor<?x{k}xi64>) -> tensor<?x{k}xi64> {{
  %r = keops.reduce argkmin k = {k} over j
      ins(%x : i tensor<?x{d}x{dtype}>, %y : j tensor<?x{d}x{dtype}>)
      outs(%out : tensor<?x{k}xi64>) {{
  ^bb0(%xi: vector<{d}x{dtype}>, %yj: vector<{d}x{dtype}>):
    %d2 = keops.sqdist %xi, %yj : vector<{d}x{dtype}>
    keops.yield %d2 : vector<1x{dtype}>
  }} -> tensor<?x{k}xi64>
  return %r : tensor<?x{k}xi64>
}}
"""


def logsumexp_mlir(d, dtype="f32"):
    return f"""
func.func @lse(%x: tensor<?x{d}x{dtype}>, %y: tensor<?x{d}x{dtype}>, %g: tensor<?x1x{dtype}>,
               %eps: tensor<1x{dtype}>, %out: tensor<?x1x{dtype}>) -> tensor<?x1x{dtype}> {{
  %r = keops.reduce logsumexp over j
      ins(%x : i tensor<?x{d}x{dtype}>, %y : j tensor<?x{d}x{dtype}>, %g : j tensor<?x1x{dtype}>,
          %eps : p tensor<1x{dtype}>)
      outs(%out : tensor<?x1x{dtype}>) {{
  ^bb0(%xi: vector<{d}x{dtype}>, %yj: vector<{d}x{dtype}>, %gj: vector<1x{dtype}>, %e: vector<1x{dtype}>):
    %d2 = keops.sqdist %xi, %yj : vector<{d}x{dtype}>
    %s = arith.divf %d2, %e : vector<1x{dtype}>
    %v = arith.subf %gj, %s : vector<1x{dtype}>
    keops.yield %v : vector<1x{dtype}>
  }} -> tensor<?x1x{dtype}>
  return %r : tensor<?x1x{dtype}>
}}
"""
