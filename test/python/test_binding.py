"""The extension module keops._keops (the pybind11 layer over the C API) and
keops._runtime: loading, kernel signatures, runs on arrays and addresses,
errors, the GIL released while kernels run."""

import threading
import time

import numpy as np
import pytest

import keops
from keops import _runtime

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

MODULE = """
func.func @f(%x: tensor<?x2xf64>, %y: tensor<?x2xf64>, %o: tensor<?x2xf64>, %i: tensor<?x2xi64>)
    -> (tensor<?x2xf64>, tensor<?x2xi64>) {
  %r:2 = keops.reduce min_argmin over j ins(%x : i tensor<?x2xf64>, %y : j tensor<?x2xf64>)
      outs(%o : tensor<?x2xf64>, %i : tensor<?x2xi64>) {
  ^bb0(%a: vector<2xf64>, %b: vector<2xf64>):
    %s = arith.subf %a, %b : vector<2xf64>
    %m = arith.mulf %s, %s : vector<2xf64>
    keops.yield %m : vector<2xf64>
  } -> tensor<?x2xf64>, tensor<?x2xi64>
  return %r#0, %r#1 : tensor<?x2xf64>, tensor<?x2xi64>
}
"""


def test_extension_module_and_kernel_signature():
    ext = _runtime.extension()
    assert ext.__name__ == "keops._keops"
    module = _runtime.compile_mlir(MODULE)
    assert module is _runtime.compile_mlir(MODULE)          # cached per text and options
    (k,) = module.kernels
    assert k.name == "f_kernel0" and k.axis == "j"
    assert k.categories == ["i", "j"] and k.input_dims == [2, 2]
    assert k.output_widths == [2, 2] and k.output_is_index == [False, True]
    assert k.float_bits == 64 and k.index_bits == 64


def test_run_on_arrays_and_addresses():
    k = _runtime.compile_mlir(MODULE).kernels[0]
    x = np.array([[0.0, 1.0], [2.0, 3.0]])
    y = np.array([[2.0, 0.0], [0.5, 3.0], [0.0, 1.0]])
    vals, idx = np.empty((2, 2)), np.empty((2, 2), np.int64)
    k.run([x, y], [vals, idx], 2, 3)
    d = (x[:, None] - y[None]) ** 2
    np.testing.assert_array_equal(vals, d.min(1))
    np.testing.assert_array_equal(idx, d.argmin(1))
    vals2, idx2 = np.zeros((2, 2)), np.zeros((2, 2), np.int64)
    k.run([x.ctypes.data, y.ctypes.data], [vals2.ctypes.data, idx2.ctypes.data], 2, 3)
    np.testing.assert_array_equal(vals2, vals)
    np.testing.assert_array_equal(idx2, idx)


def test_run_errors():
    k = _runtime.compile_mlir(MODULE).kernels[0]
    x = np.zeros((2, 2))
    with pytest.raises(keops.KeopsError, match="M and N must be >= 0"):
        k.run([x, x], [np.empty((2, 2)), np.empty((2, 2), np.int64)], -1, 2)
    with pytest.raises(keops.KeopsError, match="null pointer"):
        k.run([0, x], [np.empty((2, 2)), np.empty((2, 2), np.int64)], 2, 2)
    with pytest.raises(ValueError, match="not C-contiguous"):
        k.run([np.zeros((2, 4))[:, ::2], x], [np.empty((2, 2)), np.empty((2, 2), np.int64)], 2, 2)
    with pytest.raises(ValueError, match="not writeable"):
        ro = np.empty((2, 2))
        ro.flags.writeable = False
        k.run([x, x], [ro, np.empty((2, 2), np.int64)], 2, 2)
    with pytest.raises(keops.KeopsError, match="opt_level"):
        _runtime.compile_mlir(MODULE, opt_level=7)
    with pytest.raises(keops.KeopsError,
                       match='tensor_cores must be "none" or "tf32", not "fp8"'):
        _runtime.compile_mlir(MODULE, tensor_cores="fp8")


def test_threads_setting():
    n = keops.get_num_threads()
    keops.set_num_threads(1)
    assert keops.get_num_threads() == 1
    keops.set_num_threads(0)
    assert keops.get_num_threads() == n


def test_thread_groups_through_the_c_api():
    import ctypes
    from keops import _capi
    lib = _capi._load()
    count = lib.keops_thread_group_count()
    assert count == len(keops.thread_groups()) >= 1
    cpus = (ctypes.c_int * 4096)()
    n = lib.keops_thread_group_cpus(0, cpus, 4096)
    assert list(cpus[:n]) == keops.thread_groups()[0]
    assert lib.keops_thread_group_cpus(count, cpus, 4096) == -1
    assert lib.keops_last_error() == f"keops_thread_group_cpus: no thread group {count}".encode()
    assert lib.keops_set_thread_group(-2) != 0
    assert b"no thread group -2" in lib.keops_last_error()
    assert lib.keops_get_thread_group() == -1
    assert lib.keops_set_thread_group(0) == 0 and lib.keops_get_thread_group() == 0
    assert lib.keops_set_thread_group(-1) == 0 and lib.keops_get_thread_group() == -1


def test_the_gil_is_released_while_a_kernel_runs():
    """Another Python thread makes progress during a long reduction."""
    from keops import Vi, Vj
    n = 6000
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3))
    K = (-(Vi(x) - Vj(x)).sqnorm2()).exp().sin().cos()
    (-(Vi(x[:10]) - Vj(x)).sqnorm2()).exp().sin().cos().sum(axis=1)   # compile first
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    try:
        start = time.perf_counter()
        K.sum(axis=1)
        end = time.perf_counter()
    finally:
        stop.set()
        t.join()
    during = [s for s in ticks if start < s < end]
    assert end - start > 0.02, "the kernel ran too fast to tell"
    assert len(during) >= 3, (len(during), end - start)
