"""The compiler and the runtime, through the extension module keops._keops.

`compile_mlir(text, **options)` compiles a module once per (text, options) in
this process (the runtime adds its own memory and disk caches below) and
returns a `CompiledModule` whose kernels run on raw data addresses.

The extension module is found, in order: in $KEOPS_BUILD_DIR/lib (a build
tree), inside the package (a wheel), in the repository's build/lib (an
editable install). It links libkeops.so, so keops._capi (ctypes) and this
module share one runtime: one compile cache, one thread pool.
"""

import contextlib
import importlib.machinery
import importlib.util
import os
import sys
import threading
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_ext = None
# Threads (a Dask worker's, a thread pool's) may make their first call at
# once: the extension is loaded by one of them only, and others wait for it
# (a second load of a module that is still initializing comes out empty).
_ext_lock = threading.Lock()


def _directories():
    build = os.environ.get("KEOPS_BUILD_DIR")
    return ([Path(build) / "lib"] if build else []) + [
        _PACKAGE, _PACKAGE.parent.parent / "build" / "lib"]


def _candidates():
    for d in _directories():
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            yield d / ("_keops" + suffix)


def native_library(name):
    """The path of the shared library `name` built beside the extension
    module (same places, same order), or None."""
    return next((d / name for d in _directories() if (d / name).is_file()), None)


def extension():
    """The keops._keops module (loaded on first use)."""
    global _ext
    if _ext is not None:
        return _ext
    with _ext_lock:
        if _ext is None:
            _ext = _load_extension()
    return _ext


def _load_extension():
    mod = sys.modules.get("keops._keops")
    if mod is None:
        for path in _candidates():
            if path.is_file():
                spec = importlib.util.spec_from_file_location("keops._keops", path)
                mod = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(mod)
                sys.modules["keops._keops"] = mod
                break
        else:
            raise ImportError(
                "the extension module keops._keops was not found (looked in: "
                + ", ".join(sorted({str(p.parent) for p in _candidates()}))
                + "); build the project with `make setup`")
    return mod


class KeopsError(RuntimeError):
    """The compiler or the runtime refused; the message says why."""


class Kernel:
    """One kernel of a compiled module: its signature and a run method."""

    __slots__ = ("module", "index", "name", "axis", "categories", "input_dims",
                 "output_widths", "output_is_index", "float_bits", "index_bits",
                 "batch_rank", "input_broadcast", "block_sparse", "batched_ranges",
                 "state_widths", "state_is_index", "state_index_bits", "_run")

    def __init__(self, module, index):
        info = module._handle.kernel_info(index)
        self.module = module
        self.index = index
        self.name = info["name"]
        self.axis = "j" if info["axis"] == 1 else "i"
        self.categories = ["ijp"[c] for c in info["categories"]]
        self.input_dims = list(info["input_dims"])
        self.output_widths = list(info["output_widths"])
        self.output_is_index = list(info["output_is_index"])
        self.float_bits = info["float_bits"]
        self.index_bits = info["index_bits"]
        self.batch_rank = info["batch_rank"]
        self.input_broadcast = [list(b) for b in info["input_broadcast"]]
        self.block_sparse = info["block_sparse"]
        self.batched_ranges = info["batched_ranges"]
        self.state_widths = list(info["state_widths"])
        self.state_is_index = list(info["state_is_index"])
        self.state_index_bits = info["state_index_bits"]
        self._run = module._handle.run

    def run(self, inputs, outputs, M, N, stream=0, batch=(), ranges=None):
        """Runs on data addresses (ints): no check but the runtime's own.
        `stream`: a CUstream address for GPU modules (0: the default);
        `batch`: the batch extents of a kernel with batch axes; `ranges`:
        those of a block-sparse kernel, (six arrays or addresses, their six
        lengths, bits, batch elements: 0 when shared) (see
        `keops.ranges.Ranges.kernel_arg`)."""
        try:
            self._run(self.index, inputs, outputs, M, N, stream, list(batch), ranges)
        except _ext.KeopsError as e:
            raise KeopsError(str(e)) from None


    def run_partial(self, inputs, states, M, N, first, batch=(), ranges=None):
        """The partial state over the reduced rows given, the first of which
        has reduced index `first`, into `states` (arrays or addresses of the
        layout state_widths / state_is_index); the module must be compiled
        with partial_states=True."""
        try:
            self.module._handle.run_partial(self.index, inputs, states, M, N, first,
                                            list(batch), ranges)
        except _ext.KeopsError as e:
            raise KeopsError(str(e)) from None

    def merge_states(self, first, second, merged, rows):
        """Merges two states row by row into `merged` (may be either)."""
        try:
            self.module._handle.merge_states(self.index, first, second, merged, rows)
        except _ext.KeopsError as e:
            raise KeopsError(str(e)) from None

    def finalize_states(self, states, outputs, rows):
        """The outputs (as run() writes them) from `rows` states."""
        try:
            self.module._handle.finalize_states(self.index, states, outputs, rows)
        except _ext.KeopsError as e:
            raise KeopsError(str(e)) from None


class Function:
    """A whole function of a compiled module: its reductions (gradient
    reductions included) run in order by the runtime."""

    __slots__ = ("module", "index", "name", "num_args", "num_results")

    def __init__(self, module, name, index, num_args, num_results):
        self.module, self.name, self.index = module, name, index
        self.num_args, self.num_results = num_args, num_results

    def result_shapes(self, arg_rows, batch=()):
        """[(shape, bits, is_integer)] of the results for arguments of
        `arg_rows` rows and the batch extents `batch` of a function with
        batch axes (a result's shape starts with its batch extents, 1 where
        it is broadcast)."""
        out = []
        try:
            for r in range(self.num_results):
                extents, rows, cols, bits, is_int, one_dim = \
                    self.module._handle.function_result(self.index, r, list(arg_rows),
                                                        list(batch))
                shape = (cols,) if one_dim else (rows, cols)
                out.append((tuple(extents) + shape, bits, is_int))
        except _ext.KeopsError as e:
            raise KeopsError(str(e)) from None
        return out

    def run(self, args, arg_rows, results, stream=0, batch=()):
        """Runs on arrays or data addresses (0 for arguments that only give
        their number of rows), after the work queued on `stream` (a CUstream
        address, for GPU modules); `batch`: the batch extents of a function
        with batch axes (each array holds its batch elements one after the
        other)."""
        try:
            self.module._handle.run_function(self.index, args, list(arg_rows), results,
                                             stream, list(batch))
        except _ext.KeopsError as e:
            raise KeopsError(str(e)) from None


class CompiledModule:
    """A module of keops reductions compiled for the host CPU, or for a CUDA
    device (option device=N): its kernels then take device or host
    addresses."""

    def __init__(self, mlir, **options):
        self.mlir = mlir
        self.options = options
        ext = extension()
        try:
            self._handle = ext.compile(mlir, **options)
        except ext.KeopsError as e:
            raise KeopsError(str(e)) from None
        self.kernels = [Kernel(self, k) for k in range(self._handle.num_kernels)]
        self.functions = {name: Function(self, name, *info)
                          for name, info in self._handle.functions().items()}


_MODULES = {}


def compile_mlir(mlir, **options):
    """CompiledModule(mlir, **options), once per (text, options) in this
    process. Options: lanes, blocks, accumulation ("plain", "block",
    "kahan", "f64"), approximate_math, opt_level (see keops-c/keops.h), and
    device: a CUDA device number for the GPU backend (default -1: the CPU)."""
    key = (mlir, tuple(sorted(options.items())))
    module = _MODULES.get(key)
    if module is None:
        module = _MODULES[key] = CompiledModule(mlir, **options)
    return module


def gpu_device_count():
    """The number of CUDA devices. Raises KeopsError, saying why, without a
    CUDA driver or a GPU."""
    ext = extension()
    try:
        return ext.gpu_device_count()
    except ext.KeopsError as e:
        raise KeopsError(str(e)) from None


def set_num_threads(n):
    """Threads used by kernels (0: KEOPS_NUM_THREADS, else all cores)."""
    extension().set_num_threads(int(n))


def get_num_threads():
    return extension().get_num_threads()


def thread_groups():
    """The CPUs of each of the host's thread groups: one group per NUMA node
    (KEOPS_THREAD_GROUPS=G: G groups of consecutive CPUs). A CPU call
    spreads its rows over all groups; device_id=[...] with backend="CPU"
    splits a reduction over groups as over GPUs."""
    return [list(g) for g in extension().thread_groups()]


@contextlib.contextmanager
def thread_group(group):
    """CPU calls of this thread, inside the block, run on thread group
    `group` alone (its share of the threads, on its CPUs)."""
    ext = extension()
    before = ext.get_thread_group()
    try:
        ext.set_thread_group(int(group))
    except ext.KeopsError as e:
        raise KeopsError(str(e)) from None
    try:
        yield
    finally:
        ext.set_thread_group(before)
