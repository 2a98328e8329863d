"""The C API of libkeops through ctypes: compile modules, run kernels on NumPy arrays.

This is the thin layer the benchmarks and the backend tests use; every
code-generation decision stays in the compiler.
"""

import ctypes
import os
from pathlib import Path

import numpy as np

_PACKAGE = Path(__file__).resolve().parent


def _library_path():
    build = os.environ.get("KEOPS_BUILD_DIR")
    candidates = []
    if build:
        candidates.append(Path(build) / "lib" / "libkeops.so")
    candidates += [_PACKAGE / "lib" / "libkeops.so",
                   _PACKAGE.parent.parent / "build" / "lib" / "libkeops.so"]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError("libkeops.so not found (looked in: "
                            + ", ".join(str(p.parent) for p in candidates) + ")")


_lib = None


def _load():
    global _lib
    if _lib is not None:
        return _lib
    lib = ctypes.CDLL(str(_library_path()))
    i64, i32p, i64p, vp = ctypes.c_int64, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int64), ctypes.c_void_p
    lib.keops_compile.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.POINTER(vp)]
    lib.keops_compile.restype = ctypes.c_int
    lib.keops_module_release.argtypes = [vp]
    lib.keops_num_kernels.argtypes = [vp]
    lib.keops_num_kernels.restype = i64
    lib.keops_kernel_name.argtypes = [vp, i64]
    lib.keops_kernel_name.restype = ctypes.c_char_p
    lib.keops_kernel_signature.argtypes = [vp, i64, i64p, i64p, i32p, i32p, i64p, i64p, i32p]
    lib.keops_kernel_types.argtypes = [vp, i64, i32p, i32p]
    lib.keops_kernel_input_types.argtypes = [vp, i64, i32p, i32p]
    lib.keops_kernel_input_types.restype = ctypes.c_int
    lib.keops_run.argtypes = [vp, i64, ctypes.POINTER(vp), ctypes.POINTER(vp), i64, i64]
    lib.keops_run.restype = ctypes.c_int
    lib.keops_last_error.restype = ctypes.c_char_p
    lib.keops_num_functions.argtypes = [vp]
    lib.keops_num_functions.restype = i64
    lib.keops_function_name.argtypes = [vp, i64]
    lib.keops_function_name.restype = ctypes.c_char_p
    lib.keops_function_signature.argtypes = [vp, i64, i64p, i64p]
    lib.keops_function_signature.restype = ctypes.c_int
    lib.keops_function_result.argtypes = [vp, i64, i64, i64p, i64p, i64p, i32p, i32p, i32p]
    lib.keops_function_result.restype = ctypes.c_int
    lib.keops_run_function.argtypes = [vp, i64, ctypes.POINTER(vp), i64p, ctypes.POINTER(vp)]
    lib.keops_run_function.restype = ctypes.c_int
    lib.keops_default_options.argtypes = [ctypes.POINTER(_Options)]
    lib.keops_default_options.restype = None
    lib.keops_set_num_threads.argtypes = [ctypes.c_int]
    lib.keops_get_num_threads.restype = ctypes.c_int
    lib.keops_thread_group_count.restype = ctypes.c_int
    lib.keops_thread_group_cpus.argtypes = [ctypes.c_int, i32p, ctypes.c_int]
    lib.keops_thread_group_cpus.restype = ctypes.c_int
    lib.keops_set_thread_group.argtypes = [ctypes.c_int]
    lib.keops_set_thread_group.restype = ctypes.c_int
    lib.keops_get_thread_group.restype = ctypes.c_int
    _lib = lib
    return lib


class KeopsError(RuntimeError):
    """The compiler or the runtime refused; the message says why."""


class _Options(ctypes.Structure):
    _fields_ = [("lanes", ctypes.c_int64), ("blocks", ctypes.c_int64),
                ("accumulation", ctypes.c_char_p), ("approximate_math", ctypes.c_int),
                ("opt_level", ctypes.c_int), ("gram_min_dim", ctypes.c_int64),
                ("partial_states", ctypes.c_int), ("tensor_cores", ctypes.c_char_p)]


def set_num_threads(n):
    """Threads used by kernels (0: KEOPS_NUM_THREADS, else all cores)."""
    _load().keops_set_num_threads(int(n))


def get_num_threads():
    return _load().keops_get_num_threads()


class Kernel:
    def __init__(self, module, index):
        lib = _load()
        self._module, self.index = module, index
        self.name = lib.keops_kernel_name(module._handle, index).decode()
        ni, no = ctypes.c_int64(), ctypes.c_int64()
        lib.keops_kernel_signature(module._handle, index, ctypes.byref(ni), ctypes.byref(no),
                                   None, None, None, None, None)
        cats = (ctypes.c_int * ni.value)()
        dims = (ctypes.c_int64 * ni.value)()
        widths = (ctypes.c_int64 * no.value)()
        is_index = (ctypes.c_int * no.value)()
        axis = ctypes.c_int()
        lib.keops_kernel_signature(module._handle, index, None, None, ctypes.byref(axis),
                                   cats, dims, widths, is_index)
        fbits, ibits = ctypes.c_int(), ctypes.c_int()
        lib.keops_kernel_types(module._handle, index, ctypes.byref(fbits), ctypes.byref(ibits))
        self.axis = "j" if axis.value == 1 else "i"
        self.categories = ["ijp"[c] for c in cats]
        self.input_dims = list(dims)
        self.output_widths = list(widths)
        self.output_is_index = [bool(x) for x in is_index]
        self.dtype = {16: np.float16, 32: np.float32, 64: np.float64}[fbits.value]
        self.index_dtype = np.int32 if ibits.value == 32 else np.int64
        bits = (ctypes.c_int * max(1, ni.value))()
        is_int = (ctypes.c_int * max(1, ni.value))()
        if lib.keops_kernel_input_types(module._handle, index, bits, is_int) != 0:
            raise KeopsError(lib.keops_last_error().decode())
        # The dtype of each input: the float type, or int32 / int64 for an
        # index variable.
        self.input_dtypes = [
            np.dtype({32: np.int32, 64: np.int64}[bits[k]]) if is_int[k]
            else np.dtype(self.dtype)
            for k in range(ni.value)]

    def _indices(self, k, a, dtype):
        """Input k, an index variable: an integer array, converted to the
        kernel's int32 / int64 when its values fit."""
        a = np.asarray(a)
        if a.dtype.kind not in "iu":
            raise TypeError(
                f"input {k} of {self.name} is an index variable ({dtype.name}): "
                f"expected an int32 or int64 array, got {a.dtype.name}")
        if a.dtype != dtype and a.size:
            info = np.iinfo(dtype)
            lo, hi = a.min(), a.max()
            if lo < info.min or hi > info.max:
                raise ValueError(
                    f"input {k} of {self.name} ({dtype.name} indices) holds "
                    f"{lo if lo < info.min else hi}, out of the range of {dtype.name}")
        return np.ascontiguousarray(a, dtype=dtype)

    def __call__(self, *inputs, M=None, N=None, outputs=None):
        """Runs the kernel on NumPy arrays; returns the outputs."""
        if len(inputs) != len(self.categories):
            raise ValueError(f"{self.name} takes {len(self.categories)} inputs, got {len(inputs)}")
        arrays = []
        for k, (a, cat, dim, dtype) in enumerate(
                zip(inputs, self.categories, self.input_dims, self.input_dtypes)):
            if dtype.kind == "i":
                a = self._indices(k, a, dtype)
            else:
                a = np.ascontiguousarray(a, dtype=self.dtype)
            want = (dim,) if cat == "p" else (a.shape[0] if a.ndim == 2 else -1, dim)
            if a.shape != want:
                raise ValueError(f"input {k} ({cat} variable of dimension {dim}) has shape {a.shape}")
            if cat == "i":
                M = a.shape[0] if M is None else M
                if a.shape[0] != M:
                    raise ValueError(f"input {k} has {a.shape[0]} rows, expected M = {M}")
            elif cat == "j":
                N = a.shape[0] if N is None else N
                if a.shape[0] != N:
                    raise ValueError(f"input {k} has {a.shape[0]} rows, expected N = {N}")
            arrays.append(a)
        if M is None or N is None:
            raise ValueError("M and N must be given when no variable sets them")
        rows = M if self.axis == "j" else N
        wanted = [((rows, w), self.index_dtype if idx else self.dtype)
                  for w, idx in zip(self.output_widths, self.output_is_index)]
        if outputs is None:
            outputs = [np.empty(shape, dtype) for shape, dtype in wanted]
        else:
            if len(outputs) != len(wanted):
                raise ValueError(f"{self.name} writes {len(wanted)} outputs, got {len(outputs)}")
            for k, (o, (shape, dtype)) in enumerate(zip(outputs, wanted)):
                if not isinstance(o, np.ndarray) or o.shape != shape or o.dtype != dtype \
                        or not o.flags.c_contiguous or not o.flags.writeable:
                    raise ValueError(
                        f"output {k} must be a writeable C-contiguous {np.dtype(dtype).name} "
                        f"array of shape {shape}, got "
                        + (f"{o.dtype.name} {o.shape}" if isinstance(o, np.ndarray) else type(o).__name__))
        vp = ctypes.c_void_p
        ins = (vp * max(1, len(arrays)))(*[a.ctypes.data for a in arrays])
        outs = (vp * len(outputs))(*[o.ctypes.data for o in outputs])
        lib = _load()
        if lib.keops_run(self._module._handle, self.index, ins, outs, M, N) != 0:
            raise KeopsError(lib.keops_last_error().decode())
        return outputs


class Function:
    """A whole function of a compiled module: its reductions (gradient
    reductions included) run in order, temporaries handled by the runtime."""

    def __init__(self, module, index):
        lib = _load()
        self._module, self.index = module, index
        self.name = lib.keops_function_name(module._handle, index).decode()
        na, nr = ctypes.c_int64(), ctypes.c_int64()
        if lib.keops_function_signature(module._handle, index, ctypes.byref(na), ctypes.byref(nr)) != 0:
            raise KeopsError(lib.keops_last_error().decode())
        self.num_args, self.num_results = na.value, nr.value

    def __call__(self, *args):
        """Runs the function; `args` are NumPy arrays (or None for arguments
        that only give an output shape: pass an int, their number of rows).
        Returns the results as NumPy arrays."""
        if len(args) != self.num_args:
            raise ValueError(f"{self.name} takes {self.num_args} arguments, got {len(args)}")
        lib = _load()
        rows = (ctypes.c_int64 * max(1, len(args)))()
        ptrs = (ctypes.c_void_p * max(1, len(args)))()
        keep = []
        for k, a in enumerate(args):
            if a is None or isinstance(a, (int, np.integer)):
                rows[k] = int(a or 0)
                continue
            a = np.ascontiguousarray(a)
            keep.append(a)
            rows[k] = a.shape[0] if a.ndim == 2 else 1
            ptrs[k] = a.ctypes.data
        results = []
        for r in range(self.num_results):
            nrow, ncol = ctypes.c_int64(), ctypes.c_int64()
            bits, is_int, one_dim = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
            if lib.keops_function_result(self._module._handle, self.index, r, rows,
                                         ctypes.byref(nrow), ctypes.byref(ncol), ctypes.byref(bits),
                                         ctypes.byref(is_int), ctypes.byref(one_dim)) != 0:
                raise KeopsError(lib.keops_last_error().decode())
            dtype = ({32: np.int32, 64: np.int64} if is_int.value else
                     {16: np.float16, 32: np.float32, 64: np.float64})[bits.value]
            shape = (ncol.value,) if one_dim.value else (nrow.value, ncol.value)
            results.append(np.zeros(shape, dtype))
        outs = (ctypes.c_void_p * max(1, len(results)))(*[o.ctypes.data for o in results])
        if lib.keops_run_function(self._module._handle, self.index, ptrs, rows, outs) != 0:
            raise KeopsError(lib.keops_last_error().decode())
        return results


class CompiledModule:
    """A module of keops reductions compiled for the host CPU."""

    def __init__(self, mlir, **options):
        """options: fields of keops_options (lanes, blocks, accumulation,
        approximate_math, opt_level, gram_min_dim); the others keep
        keops_default_options' values."""
        lib = _load()
        text = mlir.encode()
        opts = _Options()
        lib.keops_default_options(ctypes.byref(opts))
        for name, value in options.items():
            if name not in ("lanes", "blocks", "accumulation", "approximate_math",
                            "opt_level", "gram_min_dim"):
                raise TypeError(f"unexpected compile option {name!r}")
            setattr(opts, name, value.encode() if isinstance(value, str) else int(value))
        handle = ctypes.c_void_p()
        if lib.keops_compile(text, len(text), ctypes.byref(opts), ctypes.byref(handle)) != 0:
            raise KeopsError(lib.keops_last_error().decode())
        self._handle = handle
        self.kernels = [Kernel(self, k) for k in range(lib.keops_num_kernels(handle))]
        self.functions = {f.name: f for f in
                          (Function(self, k) for k in range(lib.keops_num_functions(handle)))}

    def __del__(self):
        if getattr(self, "_handle", None) and _lib is not None:
            _lib.keops_module_release(self._handle)
            self._handle = None
