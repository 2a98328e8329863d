"""The SASS benchmark: the machine code of keops-mlir's GPU kernels against
KeOps' for the same reductions, counted per (i, j) pair without a GPU.

For each reduction, both kernels are compiled for an architecture (sm_90:
H100/H200, sm_80: A100) by the same ptxas:

- keops-mlir's: the Genred module through `keops-compile --chip`;
- KeOps 2.3's: the CUDA source keopscore generates for its 1-D scheme
  (GpuReduc1D, float32, pykeops' default summation scheme), compiled to PTX
  by nvrtc with `-use_fast_math`, as KeOps compiles it.

The cubins are disassembled (nvdisasm) and the hot loop of the 1-D kernel
found and counted by benchmarks/sass_analysis.py: instructions a pair by
class (per-tile work and shared-memory bank conflicts included), the
registers, shared memory, spills and occupancy that ptxas reports, and the
issue-bound pairs per second of an H100 SXM (132 SMs at 1.98 GHz, 4 x 32
instructions issued a clock and SM, 16 MUFU results a clock and SM).

The tools come from PyPI (`make sass-bench` installs them into .venv:
benchmarks/requirements-sass.txt), or from a CUDA toolkit on PATH.

    .venv/bin/python benchmarks/sass_bench.py [--arch sm_90] [--cases gauss,lse]
        [--keep DIR] [--sass CASE]
"""

import argparse
import ctypes
import datetime
import glob
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sass_analysis as sa  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name: (formula, aliases, keops reduction, its option, keopscore reduction)
CASES = {
    "gauss": ("Exp(-SqDist(x,y))*b", ["x=Vi(0,3)", "y=Vj(1,3)", "b=Vj(2,1)"],
              "Sum", None, "Sum_Reduction({f},0)"),
    "argkmin": ("SqDist(x,y)", ["x=Vi(0,3)", "y=Vj(1,3)"],
                "ArgKMin", 10, "ArgKMin_Reduction({f},10,0)"),
    "lse": ("-SqDist(x,y)+g", ["x=Vi(0,3)", "y=Vj(1,3)", "g=Vj(2,1)"],
            "LogSumExp", None, "Max_SumShiftExp_Reduction({f},0)"),
    "grad": ("Grad(Exp(-SqDist(x,y))*b,x,e)",
             ["x=Vi(0,3)", "y=Vj(1,3)", "b=Vj(2,1)", "e=Vi(3,1)"],
             "Sum", None, "Sum_Reduction({f},0)"),
    "gauss64": ("Exp(-SqDist(x,y))*b", ["x=Vi(0,64)", "y=Vj(1,64)", "b=Vj(2,1)"],
                "Sum", None, "Sum_Reduction({f},0)"),
    "gauss64tc": ("Exp(-SqDist(x,y))*b", ["x=Vi(0,64)", "y=Vj(1,64)", "b=Vj(2,1)"],
                  "Sum", None, "Sum_Reduction({f},0)"),
    "gauss128": ("Exp(-SqDist(x,y))*b", ["x=Vi(0,128)", "y=Vj(1,128)", "b=Vj(2,1)"],
                 "Sum", None, "Sum_Reduction({f},0)"),
    "gauss128tc": ("Exp(-SqDist(x,y))*b", ["x=Vi(0,128)", "y=Vj(1,128)", "b=Vj(2,1)"],
                   "Sum", None, "Sum_Reduction({f},0)"),
    "gauss256tc": ("Exp(-SqDist(x,y))*b", ["x=Vi(0,256)", "y=Vj(1,256)", "b=Vj(2,1)"],
                   "Sum", None, "Sum_Reduction({f},0)"),
    "knn64tc": ("SqDist(x,y)", ["x=Vi(0,64)", "y=Vj(1,64)"],
                "ArgKMin", 10, "ArgKMin_Reduction({f},10,0)"),
    "kv64": ("Exp(-SqDist(x,y))*v", ["x=Vi(0,3)", "y=Vj(1,3)", "v=Vj(2,64)"],
             "Sum", None, "Sum_Reduction({f},0)"),
    "kv256": ("Exp(-SqDist(x,y))*v", ["x=Vi(0,3)", "y=Vj(1,3)", "v=Vj(2,256)"],
              "Sum", None, "Sum_Reduction({f},0)"),
    "attn64": ("(q|k)", ["q=Vi(0,64)", "k=Vj(1,64)", "v=Vj(2,64)"],
               "SumSoftMaxWeight", "v", "Max_SumShiftExpWeight_Reduction({f},0,Var(2,64,1))"),
    "attn64tc": ("(q|k)", ["q=Vi(0,64)", "k=Vj(1,64)", "v=Vj(2,64)"],
                 "SumSoftMaxWeight", "v", "Max_SumShiftExpWeight_Reduction({f},0,Var(2,64,1))"),
}
# keops-compile options of a case: the tensor-core (TF32) path.
OPTIONS = {case: ["--tensor-cores", "tf32"] for case in CASES if case.endswith("tc")}
TITLES = {"gauss": "Gaussian sum, D = 3", "argkmin": "argKmin K = 10, D = 3",
          "lse": "logsumexp of -|x-y|^2 + g", "grad": "gradient of the Gaussian sum wrt x",
          "gauss64": "Gaussian sum, D = 64",
          "gauss64tc": "Gaussian sum, D = 64, TF32 mma",
          "gauss128": "Gaussian sum, D = 128",
          "gauss128tc": "Gaussian sum, D = 128, TF32 mma",
          "gauss256tc": "Gaussian sum, D = 256, TF32 mma",
          "knn64tc": "argKmin K = 10, D = 64, TF32 mma",
          "kv64": "Gaussian kernel times V, E = 64", "kv256": "Gaussian kernel times V, E = 256",
          "attn64": "attention, D = E = 64", "attn64tc": "attention, D = E = 64, TF32 mma"}

H100 = dict(sms=132, clock=1.98e9, issue=4 * 32, mufu=16, regs=65536, threads=2048,
            blocks=32, smem=228 * 1024, warps=64)


# --- tools -------------------------------------------------------------------

def _wheel_dirs():
    spec = importlib.util.find_spec("nvidia")
    if spec is None or not spec.submodule_search_locations:
        return []
    return [d for loc in spec.submodule_search_locations
            for d in sorted(glob.glob(os.path.join(loc, "cu*")), reverse=True)]


def find_tool(name):
    for d in _wheel_dirs():
        p = os.path.join(d, "bin", name)
        if os.access(p, os.X_OK):
            return p
    p = shutil.which(name)
    if p:
        return p
    raise SystemExit(f"sass_bench.py: {name} not found; install the tools with "
                     f"`.venv/bin/pip install -r benchmarks/requirements-sass.txt` "
                     f"(or `make sass-bench`)")


def find_nvrtc():
    for d in _wheel_dirs():
        for p in sorted(glob.glob(os.path.join(d, "lib", "libnvrtc.so*"))):
            if "builtins" not in p:
                return p
    for d in ("/usr/local/cuda/lib64",) + tuple(glob.glob("/usr/local/cuda-*/lib64")):
        for p in sorted(glob.glob(os.path.join(d, "libnvrtc.so*"))):
            return p
    raise SystemExit("sass_bench.py: libnvrtc not found; install the tools with "
                     "`.venv/bin/pip install -r benchmarks/requirements-sass.txt`")


def nvrtc_ptx(source, arch):
    """PTX of a CUDA source, compiled as KeOps does (nvrtc, -use_fast_math)."""
    lib = ctypes.CDLL(find_nvrtc())
    prog = ctypes.c_void_p()
    if lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), b"keops.cu", 0, None, None):
        raise RuntimeError("nvrtcCreateProgram failed")
    opts = [f"-arch=compute_{arch[3:]}".encode(), b"-use_fast_math"]
    res = lib.nvrtcCompileProgram(prog, len(opts), (ctypes.c_char_p * len(opts))(*opts))
    size = ctypes.c_size_t()
    lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    lib.nvrtcGetProgramLog(prog, log)
    if res:
        raise RuntimeError(f"nvrtc failed ({res}):\n{log.value.decode()}")
    lib.nvrtcGetPTXSize(prog, ctypes.byref(size))
    ptx = ctypes.create_string_buffer(size.value)
    lib.nvrtcGetPTX(prog, ptx)
    lib.nvrtcDestroyProgram(ctypes.byref(prog))
    return ptx.value.decode()


# --- the two kernels of a case -------------------------------------------------

def keopscore_source(formula, aliases, reduction):
    """The CUDA source of KeOps' 1-D kernel (GpuReduc1D) for a reduction."""
    from keopscore.config import cuda_config
    # keopscore asks the CUDA runtime for its version when its GPU classes
    # are imported; without a GPU, pretend to be a CUDA 13 install.
    cuda_config.get_cuda_version = lambda *a, **k: 13000
    from keopscore.mapreduce.MapReduce import MapReduce
    from keopscore.mapreduce.gpu.GpuReduc1D import GpuReduc1D
    red = reduction.format(f=formula)
    nargs = len(aliases)
    aliases = [re.sub(r"V([ij])\((\d+),(\d+)\)",
                      lambda m: f"Var({m[2]},{m[3]},{'0' if m[1] == 'i' else '1'})", a)
               for a in aliases]
    scheme = "block_sum" if red.startswith("Sum_Reduction") else "direct_sum"
    obj = GpuReduc1D.__new__(GpuReduc1D)  # skips the GPU check of its compiler
    MapReduce.__init__(obj, red, aliases, nargs, "float", "float", scheme, 1, 1, 0, 0, 1, 0)
    obj.dimy = obj.varloader.dimy
    obj.get_code()
    return obj.code


def keops_mlir(formula, aliases, reduction, opt):
    import keops
    # (A string option is the weights' formula: formula2.)
    kw = dict(formula2=opt) if isinstance(opt, str) else dict(opt_arg=opt)
    return keops.Genred(formula, aliases, reduction_op=reduction, axis=1, **kw).mlir("float32")


def run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if res.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{res.stdout}{res.stderr}")
    return res.stdout + res.stderr


def ptxas_info(log):
    """{kernel: dict(regs, smem, spill)} from `ptxas -v`."""
    out, name = {}, None
    for line in log.splitlines():
        m = re.search(r"Compiling entry function '([\w$]+)'", line)
        if m:
            name = m.group(1)
            out[name] = dict(regs=0, smem=0, spill=0)
        if name is None:
            continue
        m = re.search(r"Used (\d+) registers", line)
        if m:
            out[name]["regs"] = int(m.group(1))
        m = re.search(r"(\d+) bytes smem", line)
        if m:
            out[name]["smem"] = int(m.group(1))
        m = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads", line)
        if m:
            out[name]["spill"] = int(m.group(1)) + int(m.group(2))
    return out


def occupancy(regs, threads, smem):
    """Resident warps over the SM's 64, for blocks of `threads` threads."""
    warps = -(-threads // 32)
    regs_warp = -(-max(regs, 1) * 32 // 256) * 256
    by_regs = H100["regs"] // (regs_warp * warps)
    by_threads = H100["threads"] // (warps * 32)
    by_smem = H100["smem"] // smem if smem else H100["blocks"]
    blocks = min(by_regs, by_threads, by_smem, H100["blocks"])
    return blocks * warps / H100["warps"]


def compile_and_count(ptx, kernel, arch, tile, dynamic_smem, workdir, tag):
    ptx_file = os.path.join(workdir, f"{tag}.ptx")
    cubin = os.path.join(workdir, f"{tag}.cubin")
    with open(ptx_file, "w") as f:
        f.write(ptx)
    info = ptxas_info(run([find_tool("ptxas"), f"-arch={arch}", "-O3", "-v", ptx_file,
                           "-o", cubin]))
    sass = run([find_tool("nvdisasm"), "-c", cubin])
    with open(os.path.join(workdir, f"{tag}.sass"), "w") as f:
        f.write(sass)
    functions = sa.parse(sass)
    if kernel not in functions:
        raise RuntimeError(f"{tag}: no kernel {kernel} in {sorted(functions)}")
    fn = sa.Function(*functions[kernel])
    report = sa.analyse(fn, tile)
    res = info.get(kernel, dict(regs=0, smem=0, spill=0))
    smem = res["smem"] + dynamic_smem
    return report, res["regs"], smem, res["spill"], occupancy(res["regs"], tile, smem)


def ours(case, arch, workdir):
    formula, aliases, red, opt, _ = CASES[case]
    mlir = os.path.join(workdir, f"{case}.mlir")
    with open(mlir, "w") as f:
        f.write(keops_mlir(formula, aliases, red, opt))
    ptx_file = os.path.join(workdir, f"{case}.keops.ptx")
    options = OPTIONS.get(case, [])
    run([os.path.join(ROOT, "build", "bin", "keops-compile"), mlir, "-o", ptx_file,
         "--chip", arch] + options)
    ptx = open(ptx_file).read()
    kernels = re.findall(r"\.visible \.entry (\w+)\(", ptx)
    main = [k for k in kernels if re.search(r"_kernel\d+$", k)][0]
    m = re.search(r"\.entry " + main + r"\([^{]*\.maxntid (\d+)", ptx, re.S)
    tile = int(m.group(1)) if m else 128
    # Pairs a thread computes per tile: the tile's columns times its rows
    # (register blocking: the kernel's attribute after convert-keops-to-gpu),
    # a quarter of them with warp tiles (four lanes share a row).
    tc = "tensor-cores=tf32" if options else "tensor-cores=none"
    gpu_ir = run([os.path.join(ROOT, "build", "bin", "keops-opt"), mlir,
                  "-keops-expand-grad", "-keops-outline-kernels=gpu=true",
                  "-keops-expand-formulas",
                  f"-convert-keops-to-gpu={tc}"])
    head = re.search(r"gpu\.func @" + main + r"\(.*", gpu_ir).group(0)
    m = re.search(r"keops\.rows_per_thread = (\d+)", head)
    rows = int(m.group(1)) if m else 1
    lanes = 4 if "keops.warp_tiles" in head else 1
    return compile_and_count(ptx, main, arch, tile * rows // lanes, 0, workdir,
                             f"{case}.keops-mlir")


def keops23(case, arch, workdir):
    import keopscore
    formula, aliases, _, _, red = CASES[case]
    source = keopscore_source(formula, aliases, red)
    with open(os.path.join(workdir, f"{case}.keops23.cu"), "w") as f:
        f.write(source)
    tile = keopscore.cuda_block_size or 192
    dimy = sum(int(re.search(r",(\d+)\)", a).group(1)) for a in aliases if "Vj" in a)
    return compile_and_count(nvrtc_ptx(source, arch), "GpuConv1DOnDevice", arch, tile,
                             tile * dimy * 4, workdir, f"{case}.keops23")


def bound(per_pair, mufu):
    issue = H100["sms"] * H100["issue"] * H100["clock"] / per_pair
    if mufu:
        issue = min(issue, H100["sms"] * H100["mufu"] * H100["clock"] / mufu)
    return issue


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", default="sm_90")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--keep", help="a folder for the PTX, cubins and SASS")
    args = parser.parse_args()
    workdir = args.keep or tempfile.mkdtemp(prefix="keops-sass-")
    os.makedirs(workdir, exist_ok=True)
    ptxas_version = run([find_tool("ptxas"), "--version"]).strip().splitlines()[-1]
    print(f"SASS per (i, j) pair, float32, {args.arch}, {datetime.date.today()}; {ptxas_version}")
    print("per pair by class: fp32, mufu, lds (shared accesses, conflicts counted), confl (of which "
          "conflicts), int (integer, address, moves, global and constant loads), ctrl, mma "
          "(tensor-core products of a thread, 16 x 8 x 8 a warp)")
    head = (f"{'reduction':<36} {'kernel':<10} {'instr/pair':>10} {'ratio':>6} {'fp32':>5} "
            f"{'mufu':>5} {'lds':>5} {'confl':>5} {'int':>5} {'ctrl':>5} {'mma':>5} {'pairs/it':>8} {'regs':>4} "
            f"{'smem':>6} {'spill':>5} {'occ':>5} {'H100 bound':>11}")
    print(head)
    for case in args.cases.split(","):
        rows = {}
        for label, fn in (("keops-mlir", ours), ("KeOps 2.3", keops23)):
            rows[label] = fn(case, args.arch, workdir)
        base = rows["KeOps 2.3"][0].per_pair
        for label, (r, regs, smem, spill, occ) in rows.items():
            c = r.classes
            print(f"{TITLES[case]:<36} {label:<10} {r.per_pair:10.2f} {r.per_pair / base:6.2f} "
                  f"{c.get('fp32', 0):5.2f} {c.get('mufu', 0):5.2f} {c.get('shared', 0):5.2f} {r.conflicts:5.2f} "
                  f"{c.get('int', 0) + c.get('global', 0):5.2f} {c.get('control', 0):5.2f} "
                  f"{c.get('mma', 0):5.2f} "
                  f"{r.pairs_per_iter:8d} {regs:4d} {smem:6d} {spill:5d} {occ:5.0%} "
                  f"{bound(r.per_pair, c.get('mufu', 0)):11.2e}")
            for w in r.warnings:
                print(f"{'':<36} {'':<10} note: {w}")
            if r.unknown_conflicts:
                print(f"{'':<36} {'':<10} note: {r.unknown_conflicts} shared access(es) "
                      f"with an address not followed (counted conflict-free)")
    print(f"(PTX, cubins and SASS in {workdir})")


if __name__ == "__main__":
    main()
