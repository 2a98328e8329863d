"""Every error path of the Python frontend: a ValueError or TypeError (or
NotImplementedError for what does not exist yet) whose message names the
problem, raised before anything runs; nothing crashes the interpreter."""

import numpy as np
import pytest

import keops
import keops.numpy as knp
from keops import Genred, LazyTensor, Pm, Vi, Vj

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

x = np.ones((4, 3))
y = np.ones((5, 3))

CASES = [
    # construction
    ("int dtype", lambda: Vi(np.ones((4, 3), dtype=np.int64)), TypeError,
     "dtype int64 is not supported; keops-mlir takes float16, float32 or float64 data"),
    ("complex256 dtype", lambda: LazyTensor(np.ones((4, 1, 3), dtype=np.clongdouble)),
     TypeError, "dtype complex256 is not supported; keops-mlir takes complex64 or complex128"),
    ("3D shape", lambda: LazyTensor(np.ones((4, 5, 3))), ValueError,
     r"the last three axes must be \(M, 1, D\)"),
    ("batch", lambda: LazyTensor(np.ones((2, 4, 1, 3))) - LazyTensor(np.ones((3, 1, 5, 3))),
     ValueError, r"batch dimensions \(2,\) and \(3,\) do not broadcast"),
    ("2D without axis", lambda: LazyTensor(x), ValueError, "a 2D array needs axis=0"),
    ("2D bad axis", lambda: LazyTensor(x, axis=3), ValueError, "got axis=3"),
    ("1D with axis", lambda: LazyTensor(np.ones(3), axis=0), ValueError,
     "a 0D or 1D array is a parameter"),
    ("3D with axis", lambda: LazyTensor(np.ones((4, 1, 3)), axis=0), ValueError,
     "axis must not be given with a 3D array"),
    ("D = 0", lambda: LazyTensor(np.ones((4, 1, 0))), ValueError, "at least 1"),
    ("string", lambda: LazyTensor("x"), TypeError, "got str"),
    ("bool", lambda: LazyTensor(True), TypeError, "bool"),
    ("bad triplet", lambda: LazyTensor((0, 3)), ValueError, r"triplet of integers"),
    ("bad category", lambda: LazyTensor((0, 3, 5)), ValueError, "cat 0 \\(i\\), 1 \\(j\\) or 2"),
    ("list of strings", lambda: LazyTensor(["a"]), TypeError, "must hold numbers"),
    # combining
    ("mixed dtypes", lambda: Vi(x) + Vj(y.astype(np.float32)), TypeError,
     "mixed dtypes: float64 and float32"),
    ("dimensions", lambda: Vi(x) + Vj(np.ones((5, 2))), ValueError,
     r"\+: dimensions 3, 2 do not match"),
    ("ternary dimensions", lambda: Vi(x).clamp(Vj(np.ones((5, 2))), 1.0), ValueError,
     "clamp: dimensions 3, 2, 1 do not match"),
    ("scalar product dimensions", lambda: Vi(x) | Vj(np.ones((5, 2))), ValueError,
     "expects operands of the same dimension, got 3 and 2"),
    ("M mismatch", lambda: Vi(x) + Vi(np.ones((6, 3))), ValueError,
     "mismatched numbers of i rows: 4 and 6"),
    ("N mismatch", lambda: Vj(x) + Vj(np.ones((6, 3))), ValueError,
     "mismatched numbers of j rows: 4 and 6"),
    ("operand type", lambda: Vi(x) + "a", TypeError, "cannot combine a LazyTensor with str"),
    ("pow dims", lambda: Vi(x) ** Vj(np.ones((5, 2))), ValueError, "the exponent has dimension 2"),
    ("weights", lambda: Vi(x).weightedsqnorm(Pm(np.ones(2))), ValueError,
     "the weights have dimension 2; it must be 1, D = 3 or D\\*D = 9"),
    ("elem", lambda: Vi(x)[3], ValueError, r"index 3 is out of bounds \[0, 3\)"),
    ("slice", lambda: Vi(x).extract(1, 3), ValueError, r"slice \[1, 4\) is out of bounds"),
    ("slice step", lambda: Vi(x)[::2], ValueError, "take no step"),
    ("index type", lambda: Vi(x)[1.5], ValueError, "indexed by integers and slices"),
    ("index axis", lambda: Vi(x)[0, :], ValueError, "along their last dimension only"),
    ("one_hot", lambda: Vi(x).one_hot(4), ValueError, "one_hot encodes a scalar"),
    ("matvecmult", lambda: Vi(x).matvecmult(Vj(np.ones((5, 2)))), ValueError,
     "a matrix of dimension 3 cannot multiply a vector of dimension 2"),
    ("tensordot", lambda: Vi(x).keops_tensordot(Vj(y), [3], [3], [0], [1]), ValueError,
     r"cannot contract axes \[0\] of \[3\] with axes \[1\] of \[3\]"),
    ("kron", lambda: Vi(x).keops_kron(Vj(y), [3], [2]), ValueError, "keops_kron: shapes"),
    ("round", lambda: Vi(x).round(0.5), ValueError, "integer number of decimals"),
    ("norm axis", lambda: Vi(x).norm(0), ValueError, "over the last dimension"),
    # reductions
    ("axis 3", lambda: (Vi(x) - Vj(y)).sum(axis=3), ValueError,
     "axis=3: a reduction is over axis 0 \\(over i\\) or 1 \\(over j\\); axis -1"),
    ("axis -4", lambda: (Vi(x) - Vj(y)).min(dim=-4), ValueError,
     "axis=-4: a reduction is over axis 0 \\(over i\\) or 1 \\(over j\\); axis -1 \\(or 2\\)"),
    ("no axis", lambda: (Vi(x) - Vj(y)).argKmin(2), ValueError,
     "argKmin needs axis= \\(or dim=\\)"),
    ("vector axis for argKmin", lambda: (Vi(x) - Vj(y)).Kmin(2, axis=2), ValueError, "axis=2"),
    ("K", lambda: (Vi(x) - Vj(y)).Kmin(0, axis=1), ValueError,
     "K must be a positive integer, got 0"),
    ("logsumexp of a vector", lambda: (Vi(x) - Vj(y)).logsumexp(axis=1), ValueError,
     "logsumexp reduces a scalar formula \\(dimension 1\\); this one has dimension 3"),
    ("backend", lambda: (Vi(x) - Vj(y)).sum(1, backend="TPU"), ValueError,
     "unknown backend 'TPU' \\(use 'auto', 'CPU' or 'GPU'\\)"),
    ("device_id with CPU", lambda: (Vi(x) - Vj(y)).sum(1, backend="CPU", device_id=1),
     ValueError, "device_id=1 with backend='CPU'"),
    ("device_id", lambda: (Vi(x) - Vj(y)).sum(1, device_id=-3), ValueError,
     "device_id=-3: a CUDA device number"),
    ("ranges", lambda: (Vi(x) - Vj(y)).sum(1, ranges=()), ValueError,
     r"ranges must be a 6-tuple \(ranges_i, slices_i, redranges_j, ranges_j, slices_j, "
     r"redranges_i\), got tuple of length 0"),
    ("sum_scheme", lambda: (Vi(x) - Vj(y)).sum(1, sum_scheme="exact"), ValueError,
     "unknown sum_scheme 'exact'"),
    ("keyword", lambda: (Vi(x) - Vj(y)).sum(1, foo=1), TypeError,
     "unexpected keyword argument 'foo'"),
    ("no data", lambda: (Pm(2.0) * 3).sum(axis=1), ValueError, "holds no array"),
    ("K @ v dimension", lambda: (Vi(x) - Vj(y)) @ np.ones(5), ValueError,
     "K @ v needs a LazyTensor K of dimension 1"),
    ("K @ v type", lambda: (Vi(x) - Vj(y)).sqnorm2() @ [1, 2], TypeError,
     "K @ v takes a NumPy array"),
    ("K @ v rows", lambda: (Vi(x) - Vj(y)).sqnorm2() @ np.ones(4), ValueError,
     "mismatched numbers of j rows: 5 and 4"),
    ("mlir reduction", lambda: Vi(x).mlir("median"), ValueError, "unknown reduction 'median'"),
    ("missing op", lambda: Vi(x).bspline(Vj(y)), NotImplementedError,
     "LazyTensor.bspline is not supported by keops-mlir yet"),
    ("symbolic call count", lambda: (Vi(0, 3) * Vj(1, 3)).sum(axis=1)(x), ValueError,
     "takes 2 arguments"),
    ("symbolic call shape", lambda: (Vi(0, 3) * Vj(1, 3)).sum(axis=1)(x, np.ones((5, 2))),
     ValueError, r"expected shape \(N, 3\) or \(B\.\.\., N, 3\), got \(5, 2\)"),
    ("symbolic gap", lambda: (Vi(0, 3) * Vj(2, 3)).sum(axis=1), ValueError,
     r"without gaps; missing \[1\]"),
    ("symbolic redeclared", lambda: (Vi(0, 3) * Vj(0, 3)).sum(axis=1), ValueError,
     "variable 0 is used as"),
    ("framework class", lambda: knp.LazyTensor(np.ones(3)) + knp.Vi(np.ones((4, 3), np.float32)),
     TypeError, "mixed dtypes"),
    ("solve rhs", lambda: (Vi(x) - Vj(x)).sqnorm2().solve(Pm(np.ones(3))), ValueError,
     "the right-hand side must be an i or j variable"),
    # Genred
    ("unknown operation", lambda: Genred("Foo(x)", ["x = Vi(3)"], axis=1), ValueError,
     "formula 'Foo\\(x\\)': unknown operation 'Foo'"),
    ("unknown variable", lambda: Genred("Exp(z)", ["x = Vi(3)"], axis=1), ValueError,
     "unknown variable 'z' \\(aliases: x\\)"),
    ("syntax", lambda: Genred("Exp(x", ["x = Vi(3)"], axis=1), ValueError,
     "cannot parse formula 'Exp\\(x'"),
    ("operator", lambda: Genred("x % 2", ["x = Vi(3)"], axis=1), ValueError,
     "unsupported operator Mod"),
    ("alias", lambda: Genred("x", ["x = Vk(3)"], axis=1), ValueError, "cannot parse alias 'x = Vk\\(3\\)'"),
    ("alias position", lambda: Genred("x", ["x = Vi(0, 3)", "y = Vj(0, 3)"], axis=1), ValueError,
     "position 0 is already taken"),
    ("alias name", lambda: Genred("x", ["x = Vi(3)", "x = Vj(3)"], axis=1), ValueError,
     "the name 'x' is already used"),
    ("reduction", lambda: Genred("x", ["x = Vi(3)"], reduction_op="Median", axis=1), ValueError,
     "unknown reduction 'Median'"),
    ("Genred axis", lambda: Genred("x", ["x = Vi(3)"], axis=2), ValueError,
     "Genred reduces over axis 0 \\(i\\) or 1 \\(j\\)"),
    ("formula dims", lambda: Genred("x + y", ["x = Vi(3)", "y = Vj(2)"], axis=1), ValueError,
     r"formula 'x \+ y': \+: dimensions 3, 2 do not match"),
    ("argument count", lambda: Genred("Exp(x, x)", ["x = Vi(3)"], axis=1), ValueError,
     "wrong number of arguments for Exp"),
    ("Pow exponent", lambda: Genred("Pow(x, 2.5)", ["x = Vi(3)"], axis=1), ValueError,
     "takes an integer exponent"),
    ("inline variable", lambda: Genred("Vi(0, 3) + Vj(0, 2)", [], axis=1), ValueError,
     "declared as Vi\\(3\\) and used as Vj\\(2\\)"),
    ("K of KMin", lambda: Genred("x", ["x = Vi(3)"], reduction_op="ArgKMin", axis=0), ValueError,
     "ArgKMin needs K as opt_arg"),
    ("softmax weights", lambda: Genred("x", ["x = Vi(1)"], reduction_op="SumSoftMaxWeight", axis=0),
     ValueError, "SumSoftMaxWeight needs the weights as formula2"),
    ("formula2", lambda: Genred("x", ["x = Vi(1)"], reduction_op="Sum", axis=0, formula2="x"),
     ValueError, "formula2 is only for LogSumExp and SumSoftMaxWeight"),
    ("call count", lambda: Genred("SqDist(x,y)", ["x = Vi(3)", "y = Vj(3)"], axis=1)(x),
     ValueError, r"takes 2 arguments \(argument 0 'x' \(Vi\(3\)\), argument 1 'y' \(Vj\(3\)\)\), got 1"),
    ("call shape", lambda: Genred("SqDist(x,y)", ["x = Vi(3)", "y = Vj(3)"], axis=1)(x, x[:, :2]),
     ValueError, r"argument 1 'y' \(Vj\(3\)\): expected shape \(N, 3\) or \(B\.\.\., N, 3\), got \(4, 2\)"),
    ("call parameter shape", lambda: Genred("Sum(x) * p", ["x = Vi(3)", "p = Pm(2)"], axis=1)(x, np.ones(3)),
     ValueError, r"argument 1 'p' \(Pm\(2\)\): expected shape \(2,\) or \(B\.\.\., 2\), got \(3,\)"),
    ("call rows", lambda: Genred("x + z", ["x = Vi(3)", "z = Vi(3)"], axis=1)(x, y), ValueError,
     "5 rows, but other i variables have M = 4 rows"),
    ("call dtype", lambda: Genred("SqDist(x,y)", ["x = Vi(3)", "y = Vj(3)"], axis=1)(
        x, y.astype(np.float32)), TypeError, "dtype float32 differs from float64"),
    ("call type", lambda: Genred("SqDist(x,y)", ["x = Vi(3)", "y = Vj(3)"], axis=1)(x, "y"),
     TypeError, "expected a NumPy array or a torch tensor, got str"),
    ("call int dtype", lambda: Genred("SqDist(x,y)", ["x = Vi(3)", "y = Vj(3)"], axis=1)(
        x, np.ones((5, 3), np.int32)), TypeError, "dtype int32 is not supported"),
    ("generic output", lambda: keops.generic_sum("SqDist(x,y)", "a = Vi(3)", "x = Vi(3)", "y = Vj(3)"),
     ValueError, "the formula gives 1 values per row"),
    ("generic output category", lambda: keops.generic_sum("x", "a = Pm(3)", "x = Vi(3)"),
     ValueError, "the output is indexed by i \\(Vi\\) or j \\(Vj\\)"),
]


@pytest.mark.parametrize("name, fn, exc, message", CASES, ids=[c[0] for c in CASES])
def test_error(name, fn, exc, message):
    with pytest.raises(exc, match=message):
        fn()


def test_errors_with_torch():
    torch = pytest.importorskip("torch")
    import keops.torch as kt
    xt = torch.ones(4, 3, dtype=torch.float64)
    with pytest.raises(TypeError, match="cannot mix NumPy arrays and torch tensors"):
        Vi(x) + Vj(xt)
    with pytest.raises(TypeError, match="keops.numpy.LazyTensor takes NumPy arrays; got a torch tensor"):
        knp.LazyTensor(xt)
    with pytest.raises(TypeError, match="keops.torch.LazyTensor takes torch tensors; got a NumPy array"):
        kt.LazyTensor(x)
    with pytest.raises(TypeError, match="mixed dtypes: float64 and float32"):
        kt.Vi(xt) - kt.Vj(xt.float())
    with pytest.raises(TypeError, match="dtype int64 is not supported"):
        kt.Vi(torch.ones(4, 3, dtype=torch.int64))
    with pytest.raises(TypeError, match="torch.sparse_coo tensors are not supported"):
        kt.Vi(xt.to_sparse())
    # Devices: the meta device stands for a GPU (there is none here).
    meta = torch.ones(5, 3, dtype=torch.float64, device="meta")
    with pytest.raises(ValueError, match="mixed devices: cpu and meta"):
        kt.Vi(xt) - kt.Vj(meta)
    with pytest.raises(ValueError, match="device meta: keops-mlir runs on the CPU and on "
                                         "CUDA GPUs"):
        (kt.Vi(meta) * 2.0).sum(axis=1)
    g = kt.Genred("SqDist(x,y)", ["x = Vi(3)", "y = Vj(3)"], axis=1)
    with pytest.raises(TypeError, match="this reduction takes torch tensors, got a NumPy array"):
        g(xt, y)
    with pytest.raises(ValueError, match="on device meta, other inputs on cpu \\(mixed devices\\)"):
        g(xt, meta)
    with pytest.raises(ValueError, match="device meta: keops-mlir runs on the CPU and on"):
        g(meta[:4], meta)


def _has_gpu():
    try:
        return keops.gpu_device_count() > 0
    except keops.KeopsError:
        return False


@pytest.mark.skipif(_has_gpu(), reason="a GPU is present")
@pytest.mark.parametrize("call", [
    lambda: (Vi(x) - Vj(y)).sum(1, backend="GPU_1D"),
    lambda: (Vi(x) - Vj(y)).sum(1, device_id=0),
    lambda: Genred("SqDist(x,y)", ["x = Vi(3)", "y = Vj(3)"], axis=1)(x, y, backend="GPU"),
], ids=["backend", "device_id", "Genred"])
def test_gpu_backend_without_a_gpu(call):
    """Without a CUDA driver or a GPU, asking for the GPU backend raises
    KeopsError saying which is missing; nothing crashes."""
    with pytest.raises(keops.KeopsError, match="keops: no (CUDA driver|GPU)"):
        call()
    with pytest.raises(keops.KeopsError, match="keops: no (CUDA driver|GPU)"):
        keops.gpu_device_count()


def test_reductions_of_tensors_that_require_grad_are_recorded():
    """Reductions of tensors that require grad go through the autograd
    Function (test_autograd.py checks its gradients)."""
    torch = pytest.importorskip("torch")
    import keops.torch as kt
    xt = torch.ones(4, 1, 3, dtype=torch.float64, requires_grad=True)
    out = (kt.LazyTensor(xt) * kt.LazyTensor(torch.ones(1, 5, 3, dtype=torch.float64))).sum(1)
    assert out.requires_grad and type(out.grad_fn).__name__ == "KeopsReductionBackward"
    out.sum().backward()
    torch.testing.assert_close(xt.grad, torch.full((4, 1, 3), 5.0, dtype=torch.float64))
    with torch.no_grad():
        assert not (kt.LazyTensor(xt) * 2.0).sum(1).requires_grad
    idx = (kt.LazyTensor(xt) - kt.LazyTensor(torch.zeros(1, 5, 3, dtype=torch.float64))) \
        .sqnorm2().argmin(dim=1)
    assert idx.dtype == torch.int64 and not idx.requires_grad


def test_compiler_errors_are_keops_errors():
    """Text that the compiler refuses raises keops.KeopsError (a RuntimeError)
    with its diagnostic; the process survives."""
    from keops._runtime import compile_mlir
    with pytest.raises(keops.KeopsError, match="error"):
        compile_mlir("func.func @f() { keops.nonsense }")
    assert issubclass(keops.KeopsError, RuntimeError)
