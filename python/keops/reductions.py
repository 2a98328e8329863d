"""Reductions: from a formula and a reduction kind to compiled kernels and
NumPy / torch results.

A `Plan` is one compiled reduction: the structure of a formula (its
`formula.collect` key), a kind, an axis, K, a dtype and compile options. Plans
are cached in a dict by exactly that key, so a repeated call costs a walk of
the formula, a dict lookup and the kernel launch: the MLIR is emitted and
compiled only the first time.

`reduce(roots, kind, axis, ...)` evaluates a reduction of LazyTensors that
hold their data; `Reduction` is the callable form (`call=False`, symbolic
variables, Genred), which takes its data as call arguments.
"""

import contextlib

import numpy as np

from . import _arrays
from . import formula as fm
from ._runtime import KeopsError, compile_mlir, extension
from .ranges import as_ranges, ranged_kind

# pykeops' reduction names (Genred's reduction_op) -> keops.reduce kinds.
PYKEOPS_KINDS = {
    "Sum": "sum", "Min": "min", "Max": "max", "ArgMin": "argmin",
    "ArgMax": "argmax", "Min_ArgMin": "min_argmin", "MinArgMin": "min_argmin",
    "Max_ArgMax": "max_argmax", "MaxArgMax": "max_argmax", "KMin": "kmin",
    "ArgKMin": "argkmin", "KMin_ArgKMin": "kmin_argkmin",
    "KMinArgKMin": "kmin_argkmin", "LogSumExp": "logsumexp",
    "LogSumExpWeight": "logsumexp", "SumSoftMaxWeight": "sumsoftmaxweight",
    "SoftMax": "sumsoftmaxweight",
}

_SUM_SCHEMES = {"auto": None, "direct_sum": "plain", "block_sum": "block",
                "kahan_scheme": "kahan"}
# Options of pykeops reductions with no effect here (no GPU, no chunking).
_IGNORED = ("enable_chunks", "optional_flags", "rec_multVar_highdim", "dtype",
            "cuda_type")


def compile_options(sum_scheme="auto", dtype_acc="auto", use_double_acc=False,
                    use_fast_math=True, backend="auto", device_id=-1,
                    gram_min_dim=None, partial_states=False, tensor_cores=None,
                    **ignored):
    """pykeops' reduction options as keops_compile options (a sorted tuple of
    items, part of the plan key). Raises for what the CPU backend cannot do.
    `gram_min_dim` (ours): the CPU computes inner products of at least this
    many components by matrix-multiply tiles (default 32; 0: never, 1:
    always). `partial_states`: also compile the kernels of partial states
    (keops.distributed). `tensor_cores` (ours, GPU only): "tf32" computes
    inner products of long vectors on the tensor cores, with operands
    rounded to 10-bit mantissas (default None: exact float32; docs/gpu.md)."""
    for key in ignored:
        if key not in _IGNORED:
            raise TypeError(f"unexpected keyword argument {key!r}")
    options = {}
    if backend not in ("auto", "CPU", "cpu", None) and not (
            isinstance(backend, str) and "GPU" in backend.upper()):
        raise ValueError(f"unknown backend {backend!r} (use 'auto', 'CPU' or 'GPU')")
    if device_id is None:
        device_id = -1
    if not isinstance(device_id, (int, np.integer)) or isinstance(device_id, bool) \
            or device_id < -1:
        raise ValueError(f"device_id={device_id!r}: a CUDA device number (0, 1, ...)")
    if backend in ("CPU", "cpu"):
        if device_id >= 0:
            raise ValueError(f"device_id={device_id} with backend={backend!r}")
        options["device"] = -1
    elif isinstance(backend, str) and "GPU" in backend.upper():
        options["device"] = max(int(device_id), 0)
    elif device_id >= 0:
        options["device"] = int(device_id)
    if sum_scheme not in _SUM_SCHEMES:
        raise ValueError(f"unknown sum_scheme {sum_scheme!r} (one of {', '.join(_SUM_SCHEMES)})")
    acc = _SUM_SCHEMES[sum_scheme]
    if use_double_acc or dtype_acc in ("float64", "double"):
        if acc not in (None, "block"):
            raise ValueError(f"sum_scheme={sum_scheme!r} and float64 accumulation "
                             "cannot be combined")
        acc = "f64"
    elif dtype_acc not in ("auto", "float32", "float", None):
        raise ValueError(f"dtype_acc={dtype_acc!r} is not supported (auto, float32, float64)")
    if acc is not None:
        options["accumulation"] = acc
    if not use_fast_math:
        options["approximate_math"] = False
    if gram_min_dim is not None:
        if isinstance(gram_min_dim, bool) or not isinstance(gram_min_dim, int) \
                or gram_min_dim < 0:
            raise ValueError(f"gram_min_dim must be an integer >= 0, got {gram_min_dim!r}")
        options["gram_min_dim"] = gram_min_dim
    if partial_states:
        options["partial_states"] = True
    if tensor_cores not in (None, "none", "tf32"):
        raise ValueError(f"tensor_cores={tensor_cores!r}: None, 'none' or 'tf32'")
    if tensor_cores == "tf32":
        options["tensor_cores"] = "tf32"
    return tuple(sorted(options.items()))


def split_options(kwargs):
    """(compile options, out, ranges) from the keyword arguments of a
    reduction."""
    out = kwargs.pop("out", None)
    ranges = kwargs.pop("ranges", None)
    return compile_options(**kwargs), out, ranges


# --------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------

class Plan:
    """One compiled reduction (see the module docstring)."""

    __slots__ = ("key", "kind", "axis", "k", "dtype", "options", "mlir",
                 "kernel", "widths", "out_dtypes", "variables", "fdim", "wdim",
                 "roots", "collected", "batch", "ranged", "_run")

    def __init__(self, key, roots, collected, kind, axis, k, dtype, options, batch=(),
                 ranged=False):
        self.key = key
        # per variable, per batch axis: broadcast along it (batch_pattern)
        self.batch = batch
        # block-sparse: the kernel takes ranges ("shared" by the batch
        # elements or "per_element"), else False
        self.ranged = ranged
        self.kind, self.axis, self.k = kind, axis, k
        self.dtype = dtype
        self.options = options
        # the formula's structure, without its data
        self.roots, self.collected = fm.strip(roots, collected)
        # (category, dimension) of each input, in kernel order
        self.variables = [(v._cat, v.ndim) for v in collected[1]]
        self.fdim = roots[0].ndim
        self.wdim = roots[1].ndim if len(roots) > 1 else None
        self.mlir = fm.reduction_mlir(roots, kind, "ij"[axis], dtype, k=k,
                                      collected=collected, batch=batch, ranges=ranged)
        module = compile_mlir(self.mlir, **dict(options))
        self.kernel = module.kernels[0]
        self._run = self.kernel.run
        self.widths = self.kernel.output_widths
        self.out_dtypes = ["int64" if idx else dtype for idx in fm.KINDS[kind]]

    def run(self, fw, inputs, M, N, out=None, batch=(), ranges=None):
        """Runs the kernel on `inputs` (arrays in kernel order) and returns
        the raw outputs: (*batch, rows, width) arrays of framework `fw`
        (`batch`: the batch extents of a plan with batch axes; `ranges`: the
        keops.ranges.Ranges of a block-sparse plan)."""
        rows = M if self.axis == 1 else N
        # Results stay where the data are: CUDA tensors give CUDA tensors;
        # host arrays sent to the GPU (backend="GPU") come back to the host.
        device = _arrays.cuda_device(inputs) if fw == "torch" else -1
        outs = [_arrays.empty(fw, (*batch, rows, w), dt, device)
                for w, dt in zip(self.widths, self.out_dtypes)]
        if out is not None:
            outs = _use_out(out, outs, fw)
        arg = ranges.kernel_arg() if ranges is not None else None
        with _ranges_errors():
            if fw == "torch":
                # On torch's current stream: after the work producing the inputs.
                self._run([_arrays.address(a) for a in inputs],
                          [o.data_ptr() for o in outs], M, N, _arrays.cuda_stream(device),
                          batch, arg)
            else:
                self._run(inputs, outs, M, N, 0, batch, arg)
        return outs

    def run_partial(self, fw, inputs, M, N, first, batch=(), ranges=None):
        """The state arrays ((*batch, rows, width), kernel.state_widths) of the
        partial reduction of `inputs`, the first reduced row being index
        `first` of the whole axis (a plan compiled with partial_states)."""
        rows = M if self.axis == 1 else N
        index = "int64" if self.kernel.state_index_bits == 64 else "int32"
        device = _arrays.cuda_device(inputs) if fw == "torch" else -1
        states = [_arrays.empty(fw, (*batch, rows, w), index if idx else self.dtype, device)
                  for w, idx in zip(self.kernel.state_widths, self.kernel.state_is_index)]
        arg = ranges.kernel_arg() if ranges is not None else None
        with _ranges_errors():
            self.kernel.run_partial([_arrays.address(a) for a in inputs],
                                    [_arrays.address(a) for a in states], M, N, first,
                                    batch, arg)
        return states

    def finish(self, outs):
        """pykeops' output shapes from the raw outputs."""
        kind = self.kind
        if kind in fm.K_KINDS:
            k, d = self.k, self.fdim
            outs = [o.reshape(*o.shape[:-1], k, d) if d > 1 else o for o in outs]
        return outs[0] if len(outs) == 1 else tuple(outs)


@contextlib.contextmanager
def _ranges_errors():
    """The runtime's checks of the values of ranges (bad input) as
    ValueError."""
    try:
        yield
    except KeopsError as e:
        message = str(e)
        if "bad ranges: " in message:
            raise ValueError(message.partition("bad ranges: ")[2]) from None
        raise


def _use_out(out, outs, fw):
    """The user's `out` array in place of the one output (a plain reduction
    only), after checking it."""
    if len(outs) != 1:
        raise ValueError("out= is supported for reductions with one output only")
    want = outs[0]
    if _arrays.framework(out) != fw or tuple(out.shape) != tuple(want.shape) \
            or str(out.dtype).replace("torch.", "") != str(want.dtype).replace("torch.", ""):
        raise ValueError(f"out must be a {fw} array of shape {tuple(want.shape)} and dtype "
                         f"{str(want.dtype).replace('torch.', '')}, got "
                         f"{type(out).__name__} {tuple(getattr(out, 'shape', ()))} "
                         f"{getattr(out, 'dtype', '')}")
    contiguous = out.flags.c_contiguous if fw == "numpy" else out.is_contiguous()
    if not contiguous:
        raise ValueError("out must be contiguous")
    return [out]


_PLANS = {}


def get_plan(roots, collected, kind, axis, k, dtype, options, batch=(), ranged=False):
    key = (collected[2], kind, axis, k, dtype, options, batch, ranged)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = Plan(key, roots, collected, kind, axis, k, dtype, options, batch,
                                  ranged)
    return plan


def broadcast_batch(a, b):
    """The batch shape of two batch shapes under NumPy's rule (axes aligned
    on the right, 1 broadcasts), or a ValueError naming both."""
    if a == b or not b:
        return a
    if not a:
        return b
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            raise ValueError(f"batch dimensions {a} and {b} do not broadcast (each axis "
                             "must have the same size, or size 1)")
        out.append(y if x == 1 else x)
    return tuple(out)
def variable_batch(var):
    """The batch extents of a variable's data: (B..., rows, D) or (B..., D)
    arrays; () for numbers and for symbolic variables."""
    data = var._data
    if data is None or type(data) is tuple:
        return ()
    return tuple(data.shape[:-2] if var._cat != 2 else data.shape[:-1])


def batch_pattern(shapes, batch):
    """Per variable (given its batch extents), per axis of the reduction's
    batch shape `batch`: whether it is broadcast along the axis (its extent
    there is 1, or it has fewer batch axes: NumPy aligns them on the right)."""
    rank = len(batch)
    return tuple(tuple(e == 1 for e in (1,) * (rank - len(s)) + tuple(s)) for s in shapes)


def check_kind(kind, roots, k):
    """Errors of a reduction's shape, before anything is compiled."""
    f = roots[0]
    if kind in ("logsumexp", "sumsoftmaxweight") and f.ndim != 1:
        raise ValueError(f"{kind} reduces a scalar formula (dimension 1); "
                         f"this one has dimension {f.ndim}")
    if kind in fm.K_KINDS:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ValueError(f"K must be a positive integer, got {k!r}")


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------

class _Dummy:
    """A variable of dimension 1 holding one 0, for a reduction over an axis
    that no variable of the formula is indexed by: as in pykeops, that axis
    has size 1 (and keops.reduce needs a variable to size it)."""

    __slots__ = ("_op", "_args", "_attrs", "ndim", "_cat", "_data", "_sym", "_cache")

    def __init__(self, cat):
        self._op, self._args, self._attrs, self.ndim = "var", (), (), 1
        self._cat, self._data, self._sym, self._cache = cat, (0.0,), None, None


_DUMMIES = (_Dummy(0), _Dummy(1))


def complete(collected, axis):
    """`collected` with a dummy variable of the reduced category if the
    formula has none (see _Dummy)."""
    for v in collected[1]:
        if v._cat == axis:
            return collected
    return collected[0], collected[1] + [_DUMMIES[axis]], collected[2]


def _data_of(var, dtype, fw):
    """The array of a LazyTensor variable that holds its data."""
    data = var._data
    if type(data) is tuple:  # Python numbers: a parameter of no fixed dtype
        cache = var._cache
        if cache is not None and _arrays.dtype_name(cache, "numpy") == dtype:
            return cache
        arr = var._cache = np.array(data, dtype=dtype)
        return arr
    return data


def _device_check(meta, options):
    """`options` with the device the data are on: torch tensors on
    "cuda:N" run on the GPU backend (device N) unless the options say
    otherwise, which is an error."""
    device = meta[2]
    chosen = dict(options).get("device")
    if device is None or device == "cpu":
        return options
    if not device.startswith("cuda"):
        raise ValueError(f"tensors on device {device}: keops-mlir runs on the CPU and on "
                         "CUDA GPUs")
    index = int(device.partition(":")[2] or 0)
    if chosen == -1:
        raise ValueError(f"tensors on device {device} with backend='CPU' (move the data "
                         "with .cpu(), or use backend='auto')")
    if chosen is not None and chosen != index:
        raise ValueError(f"tensors on device {device} with device_id={chosen}")
    return tuple(sorted(set(options) | {("device", index)}))


# Calls that the CPU runtime could split, per reduction (split_states).
_SPLIT_CALLS = {}


def split_states(key, options, axis, M, N, batched, ranged):
    """`options` with partial states when the CPU runtime spreads this
    call's reduced axis over its threads (few kept rows, many reduced ones:
    the blocks' states are merged; lib/Runtime/SplitReduced.cpp). Partial
    states take 2 to 5 times as long to compile, so a reduction (`key`)
    gets them from its second such call on, or at once when the call is
    long enough to pay for them (2^30 pairs for a kernel's block of 32
    rows, about a second)."""
    rows, cols = (M, N) if axis == 1 else (N, M)
    # (The runtime's rule needs fewer 64-row chunks than threads and two
    # blocks of at least 1,024 reduced indices.)
    if batched or ranged or rows is None or cols is None or rows >= 64 * 1024 \
            or cols < 2048:
        return options
    chosen = dict(options)
    if chosen.get("device", -1) != -1 or chosen.get("partial_states"):
        return options
    if extension().reduced_axis_parts(rows, cols) < 2:
        return options
    key = (key, options)
    calls = _SPLIT_CALLS[key] = _SPLIT_CALLS.get(key, 0) + 1
    if calls < 2 and cols * 32 < 1 << 30:
        return options
    return tuple(sorted(set(options) | {("partial_states", True)}))


def execute(plan, fw, inputs, M, N, out=None, batch=(), ranges=None):
    """Runs a plan; torch results go through the autograd hook when autograd
    records (keops._autograd)."""
    if fw == "torch":
        from ._autograd import run_torch
        return run_torch(plan, inputs, M, N, out, batch, ranges)
    return plan.finish(plan.run(fw, inputs, M, N, out, batch, ranges))


def execute_as(dtype, plan, fw, inputs, M, N, out=None, batch=(), ranges=None):
    """execute() for data of `dtype`: float16 inputs converted to the plan's
    float32, results converted back (into `out`, if given)."""
    if plan.dtype == dtype:
        return execute(plan, fw, inputs, M, N, out, batch, ranges)
    inputs = [_arrays.cast(a, plan.dtype, fw) for a in inputs]
    result = execute(plan, fw, inputs, M, N, batch=batch, ranges=ranges)
    parts = result if isinstance(result, tuple) else (result,)
    parts = tuple(_arrays.cast(r, dtype, fw) for r in parts)
    if out is not None:
        if len(parts) != 1:
            raise ValueError("out= is supported for reductions with one output only")
        _use_out(out, list(parts), fw)
        if fw == "numpy":
            out[...] = parts[0]
        else:
            out.copy_(parts[0])
        return out
    return parts if isinstance(result, tuple) else parts[0]


def reduce(roots, kind, axis, k=None, options=(), out=None, ranges=None):
    """Evaluates a reduction of LazyTensors holding their data: roots[0] is
    the formula, roots[1] the weight / value formula of logsumexp and
    sumsoftmaxweight. axis: 0 (over i) or 1 (over j). `ranges`: pykeops'
    6-tuple of a block-sparse reduction (keops.ranges)."""
    meta = roots[0]._m if len(roots) == 1 else roots[0]._join_meta(roots[1])
    fw, dtype = meta[0], meta[1]
    if dtype is None:
        raise ValueError("this formula holds no array: its dtype is unknown "
                         "(build it from NumPy arrays or torch tensors)")
    options = _device_check(meta, options)
    collected = complete(fm.collect(roots), axis)
    compute = _arrays.compute_dtype(dtype)
    batch = meta[5]
    pattern = batch_pattern([variable_batch(v) for v in collected[1]], batch) if batch else ()
    ranges = as_ranges(ranges, fw, batch)
    ranged = ranged_kind(ranges)
    options = split_states((collected[2], kind, axis, k, compute), options, axis, meta[3],
                           meta[4], batch, ranged)
    plan = _PLANS.get((collected[2], kind, axis, k, compute, options, pattern, ranged))
    if plan is None:
        check_kind(kind, roots, k)
        plan = get_plan(roots, collected, kind, axis, k, compute, options, pattern, ranged)
    inputs = [_data_of(v, compute, fw) for v in collected[1]]
    M = meta[3] if meta[3] is not None else 1
    N = meta[4] if meta[4] is not None else 1
    return execute_as(dtype, plan, fw, inputs, M, N, out, batch, ranges)


class Reduction:
    """A reduction whose data come at call time: the result of a LazyTensor
    reduction with symbolic variables (Vi(0, 3), ...) or with call=False, and
    the engine of Genred. Calling it with one array per symbolic variable
    (in the order of their indices) returns the reduction's result.

    `mlir(dtype)` is the module compiled for that dtype."""

    def __init__(self, roots, kind, axis, k=None, options=(), declared=None,
                 names=None, framework=None, out=None, ranges=None):
        check_kind(kind, roots, k)
        self.roots = tuple(roots)
        self.kind, self.axis, self.k, self.options = kind, axis, k, options
        self.framework = framework
        self._out = out
        self._ranges = ranges
        self._collected = complete(fm.collect(self.roots), axis)
        variables = self._collected[1]
        meta = roots[0]._m if len(roots) == 1 else roots[0]._join_meta(roots[1])
        self._meta = meta
        syms = {}
        for v in variables:
            if v._sym is not None:
                seen = syms.setdefault(v._sym, (v._cat, v.ndim))
                if seen != (v._cat, v.ndim):
                    raise ValueError(
                        f"variable {v._sym} is used as {'Vi Vj Pm'.split()[seen[0]]}({seen[1]}) "
                        f"and as {'Vi Vj Pm'.split()[v._cat]}({v.ndim})")
        if declared is None:
            declared = syms
        for index, (cat, dim) in syms.items():
            if declared.get(index, (cat, dim)) != (cat, dim):
                raise ValueError(f"variable {index} is used as {fm.CATEGORY_NAMES[cat]} of "
                                 f"dimension {dim} but declared as "
                                 f"{fm.CATEGORY_NAMES[declared[index][0]]} of dimension "
                                 f"{declared[index][1]}")
        self.nargs = max(declared) + 1 if declared else 0
        missing = [n for n in range(self.nargs) if n not in declared]
        if missing:
            raise ValueError(f"symbolic variables must be numbered 0, 1, ... without gaps; "
                             f"missing {missing}")
        self.declared = [declared[n] for n in range(self.nargs)]
        self.names = names or [f"argument {n}" for n in range(self.nargs)]
        # input n of the kernel: ("arg", index) or ("data", variable)
        self._sources = [("arg", v._sym) if v._sym is not None else ("data", v)
                         for v in variables]

    def mlir(self, dtype=None):
        """The MLIR module of this reduction for `dtype` ("float32" or
        "float64"; default: the formula's own dtype)."""
        dtype = dtype or self._meta[1]
        if dtype is None:
            raise ValueError("give the dtype: this formula holds no array")
        return fm.reduction_mlir(self.roots, self.kind, "ij"[self.axis], dtype,
                                 k=self.k, collected=self._collected, batch=self._pattern(),
                                 ranges=ranged_kind(as_ranges(self._ranges,
                                                              batch=self._meta[5] or ())))

    def _pattern(self):
        """The batch pattern of the LazyTensors holding data (batch_pattern),
        for mlir(): arguments given at call time taken without batch axes."""
        batch = self._meta[5]
        return batch_pattern([variable_batch(src) if how == "data" else ()
                              for how, src in self._sources], batch) if batch else ()

    def _describe(self, n):
        cat, dim = self.declared[n]
        return f"{self.names[n]} ({'Vi Vj Pm'.split()[cat]}({dim}))"

    def __call__(self, *args, **kwargs):
        if isinstance(kwargs.get("device_id"), (list, tuple)):
            # Several GPUs, or thread groups of the CPU:
            # keops.distributed.devices splits the work.
            from .distributed.devices import reduce as on_devices
            ids = kwargs.pop("device_id")
            others = {key for key, value in kwargs.items()
                      if value is not None and key != "backend"}
            if others:
                raise ValueError("device_id=[...] takes no other option than backend, got "
                                 f"{sorted(others)}")
            return on_devices(self, *args, device_ids=ids, backend=kwargs.get("backend"))
        return execute_as(*self._bind(args, kwargs))

    def partial(self, *args, first=0, **kwargs):
        """The unfinalized state of this reduction over the reduced rows given
        (the j arrays of a reduction over j hold rows first, first + 1, ...
        of the whole axis, whose indices argmin and K-min report), for every
        output row: a keops.distributed.ReductionState, which merges with
        the states of other rows of the reduced axis and finalizes into the
        reduction's result. Arguments as for a call (CUDA tensors, or
        backend="GPU", on the GPU backend: states stay where the data are)."""
        from .distributed.states import ReductionState
        if isinstance(first, bool) or not isinstance(first, (int, np.integer)) or first < 0:
            raise ValueError(f"first must be an integer >= 0, got {first!r}")
        if kwargs.get("out") is not None:
            raise ValueError("out= is not supported for partial states")
        dtype, plan, fw, inputs, M, N, _, batch, ranges = self._bind(
            args, dict(kwargs, partial_states=True))
        if plan.dtype != dtype:
            inputs = [_arrays.cast(a, plan.dtype, fw) for a in inputs]
        arrays = plan.run_partial(fw, inputs, M, N, int(first), batch, ranges)
        return ReductionState(plan, arrays, fw, tuple(batch))

    def _bind(self, args, kwargs):
        """The arguments of execute_as() for a call on `args`."""
        if len(args) != self.nargs:
            raise ValueError(f"this reduction takes {self.nargs} arguments "
                             f"({', '.join(self._describe(n) for n in range(self.nargs))}), "
                             f"got {len(args)}")
        options, out, ranges = self.options, self._out, self._ranges
        if kwargs:
            out = kwargs.pop("out", out)
            ranges = kwargs.pop("ranges", ranges)
            if kwargs:
                options = tuple(sorted(set(options) | set(compile_options(**kwargs))))
        meta = self._meta
        fw, dtype, device, M, N, batch = meta
        arrays, arg_batch = [], [()] * len(args)
        for n, a in enumerate(args):
            cat, dim = self.declared[n]
            afw = _arrays.framework(a)
            if afw is None:
                if isinstance(a, (int, float, list, tuple, np.floating)) and cat == 2:
                    a = np.asarray(a, dtype=dtype or "float64")
                    afw = "numpy"
                else:
                    raise TypeError(f"{self._describe(n)}: expected a NumPy array or a torch "
                                    f"tensor, got {type(a).__name__}")
            if self.framework is not None and afw != self.framework:
                raise TypeError(f"{self._describe(n)}: this reduction takes "
                                f"{'NumPy arrays' if self.framework == 'numpy' else 'torch tensors'}"
                                f", got a {'NumPy array' if afw == 'numpy' else 'torch tensor'}")
            if fw is None:
                fw = afw
            elif afw != fw:
                raise TypeError(f"{self._describe(n)}: cannot mix NumPy arrays and torch "
                                "tensors in one reduction")
            adt = _arrays.check_dtype(a, afw, self._describe(n))
            if dtype is None:
                dtype = adt
            elif adt != dtype:
                raise TypeError(f"{self._describe(n)}: dtype {adt} differs from {dtype} "
                                "(mixed dtypes: convert the inputs to one dtype)")
            if afw == "torch":
                _arrays.check_torch_layout(a, self._describe(n))
                dev = str(a.device)
                if device is None:
                    device = dev
                elif dev != device:
                    raise ValueError(f"{self._describe(n)}: on device {dev}, other inputs on "
                                     f"{device} (mixed devices)")
            shape = tuple(a.shape)
            # Leading axes beyond (rows, D) or (D,) are batch axes, as in
            # pykeops' Genred: (B..., M, D), (B..., N, D), (B..., D).
            if cat == 2:
                if shape == () and dim == 1:
                    shape = (1,)
                if not shape or shape[-1] != dim:
                    raise ValueError(f"{self._describe(n)}: expected shape ({dim},) or "
                                     f"(B..., {dim}), got {tuple(a.shape)}")
                arg_batch[n] = shape[:-1]
                a = _arrays.as_vector(a, afw, dim, shape[:-1])
            else:
                if len(shape) < 2 or shape[-1] != dim:
                    raise ValueError(f"{self._describe(n)}: expected shape "
                                     f"({'MN'[cat]}, {dim}) or (B..., {'MN'[cat]}, {dim}), "
                                     f"got {shape}")
                rows = shape[-2]
                arg_batch[n] = shape[:-2]
                if cat == 0:
                    if M is None:
                        M = rows
                    elif rows != M:
                        raise ValueError(f"{self._describe(n)}: {rows} rows, but other "
                                         f"i variables have M = {M} rows")
                else:
                    if N is None:
                        N = rows
                    elif rows != N:
                        raise ValueError(f"{self._describe(n)}: {rows} rows, but other "
                                         f"j variables have N = {N} rows")
                a = _arrays.as_rows(a, afw, rows, dim, shape[:-2])
            arrays.append(a)
        if dtype is None:
            raise ValueError("cannot infer the dtype: no array given")
        options = _device_check((fw, dtype, device), options)
        compute = _arrays.compute_dtype(dtype)
        pattern = ()
        if batch or any(arg_batch):
            shapes = [arg_batch[src] if how == "arg" else variable_batch(src)
                      for how, src in self._sources]
            for s in shapes:
                batch = broadcast_batch(batch, s)
            pattern = batch_pattern(shapes, batch) if batch else ()
        ranges = as_ranges(ranges, fw, batch)
        ranged = ranged_kind(ranges)
        options = split_states((self._collected[2], self.kind, self.axis, self.k, compute),
                               options, self.axis, M, N, batch, ranged)
        plan = _PLANS.get((self._collected[2], self.kind, self.axis, self.k, compute, options,
                           pattern, ranged))
        if plan is None:
            plan = get_plan(self.roots, self._collected, self.kind, self.axis, self.k,
                            compute, options, pattern, ranged)
        inputs = [arrays[src] if how == "arg" else _data_of(src, compute, fw)
                  for how, src in self._sources]
        return (dtype, plan, fw, inputs, M if M is not None else 1,
                N if N is not None else 1, out, batch, ranges)
