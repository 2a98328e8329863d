"""NumPy arrays and torch tensors behind one small interface.

torch is never imported here: a tensor is recognized only if the caller's
program has imported torch already.
"""

import sys

import numpy as np

DTYPES = ("float16", "float32", "float64")


def torch_module():
    return sys.modules.get("torch")


def framework(x):
    """"numpy", "torch", or None for anything else."""
    if type(x) is np.ndarray or isinstance(x, np.ndarray):
        return "numpy"
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        return "torch"
    return None


_NUMPY_NAMES = {np.dtype(n): n for n in ("float16", "float32", "float64")}
_TORCH_NAMES = {}


def is_complex(x):
    """Whether x is complex data: a complex NumPy array or torch tensor, a
    complex number, or a list holding one."""
    if isinstance(x, complex):
        return True
    if isinstance(x, list):
        return any(isinstance(v, complex) for v in x)
    fw = framework(x)
    if fw == "numpy":
        return x.dtype.kind == "c"
    return fw == "torch" and x.is_complex()


def dtype_name(x, fw):
    """The dtype's name ("float32", ...); numpy's dtype.name is slow."""
    if fw == "numpy":
        name = _NUMPY_NAMES.get(x.dtype)
        return name if name is not None else x.dtype.name
    name = _TORCH_NAMES.get(x.dtype)
    if name is None:
        name = _TORCH_NAMES[x.dtype] = str(x.dtype).replace("torch.", "")
    return name


def device_name(x, fw):
    return "cpu" if fw == "numpy" else str(x.device)


def check_dtype(x, fw, what):
    name = dtype_name(x, fw)
    if name not in DTYPES:
        raise TypeError(f"{what}: dtype {name} is not supported; "
                        "keops-mlir takes float16, float32 or float64 data")
    return name


def check_torch_layout(x, what):
    torch = sys.modules["torch"]
    if x.layout != torch.strided:
        raise TypeError(f"{what}: {x.layout} tensors are not supported (dense tensors only)")


def as_rows(x, fw, rows, dim, batch=()):
    """x as a C-contiguous (*batch, rows, dim) array sharing x's memory when
    it can (a non-contiguous input is copied)."""
    if fw == "numpy":
        x = x.reshape(*batch, rows, dim)
        if not x.flags.c_contiguous:
            x = np.ascontiguousarray(x)
        return x
    return x.reshape(*batch, rows, dim).contiguous()


def as_vector(x, fw, dim, batch=()):
    """x as a C-contiguous (*batch, dim) array (a parameter)."""
    if fw == "numpy":
        x = x.reshape(*batch, dim)
        if not x.flags.c_contiguous:
            x = np.ascontiguousarray(x)
        return x
    return x.reshape(*batch, dim).contiguous()


def address(x):
    """What the extension module's run() takes: NumPy arrays as they are
    (it reads their data pointer), torch tensors as data addresses."""
    if isinstance(x, np.ndarray):
        return x
    return x.data_ptr()


def contiguous(x):
    """x in C order (a copy only when it is not)."""
    if isinstance(x, np.ndarray):
        return np.ascontiguousarray(x)
    return x.contiguous()


def compute_dtype(dtype):
    """The dtype reductions of `dtype` data compute in: float16 data are
    reduced in float32 (converted on the way in, results converted back),
    so that sums over many terms keep float32's accuracy."""
    return "float32" if dtype == "float16" else dtype


def cast(x, dtype, fw):
    """x as `dtype` when it is an array of floats of another dtype (torch:
    a differentiable conversion); other arrays as they are."""
    if fw == "numpy":
        return x.astype(dtype) if x.dtype.kind == "f" and x.dtype.name != dtype else x
    torch = sys.modules["torch"]
    want = getattr(torch, dtype)
    return x.to(want) if x.is_floating_point() and x.dtype != want else x


def cuda_device(tensors):
    """The CUDA device of the first CUDA tensor among `tensors`, -1 if none."""
    for t in tensors:
        if getattr(t, "is_cuda", False):
            return t.device.index or 0
    return -1


def cuda_stream(device):
    """torch's current CUDA stream on `device`, as the address the runtime
    takes (0, the default stream, for the host)."""
    if device < 0:
        return 0
    return sys.modules["torch"].cuda.current_stream(device).cuda_stream


def empty(fw, shape, dtype, device=-1):
    """An uninitialized array; a torch tensor on CUDA device `device` when
    it is >= 0 (the GPU backend's results stay on the device)."""
    if fw == "torch":
        torch = sys.modules["torch"]
        return torch.empty(shape, dtype=getattr(torch, dtype),
                           device="cpu" if device < 0 else "cuda:%d" % device)
    return np.empty(shape, dtype)
