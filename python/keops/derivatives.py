"""Symbolic derivatives of formulas (pykeops' LazyTensor.grad, diff,
grad_matrix, divergence, laplacian, trace_operator).

Each is built from two ops of the dialect, which the compiler expands with
every op's derivative rules (keops-expand-grad): `keops.grad %f wrt %v, %e`,
the vector-Jacobian product (dF/dv)^T e, and `keops.diff %f wrt %v, %t`, the
Jacobian-vector product (dF/dv) t. The others combine them with constant
basis vectors: no derivative is taken in Python.
"""


def _check_variable(name, v):
    from .lazy_tensor import LazyTensor
    if not isinstance(v, LazyTensor) or v._op != "var":
        raise ValueError(f"{name}: differentiate with respect to a variable (a LazyTensor "
                         "made from an array, Vi, Vj or Pm), not a formula")


def _basis(like, dim, k):
    """The constant vector e_k of dimension dim."""
    e = type(like)(0)
    e._attrs = (tuple(1.0 if n == k else 0.0 for n in range(dim)),)
    e.ndim = dim
    return e


def _trace(columns):
    """sum_k columns[k]_k: the trace of the matrix of the columns."""
    res = columns[0] if len(columns) == 1 else columns[0].elem(0)
    for k in range(1, len(columns)):
        res = res + columns[k].elem(k)
    return res


class DerivativesMixin:
    __slots__ = ()

    def grad(self, other, gradin):
        """(dF/dv)^T gradin for the variable v = `other` and gradin of this
        formula's dimension: a LazyTensor of v's dimension (keops.grad)."""
        _check_variable("grad", other)
        gradin = self._lt(gradin)
        if gradin.ndim != self.ndim:
            raise ValueError(f"grad: gradin has dimension {gradin.ndim} but the formula has "
                             f"dimension {self.ndim}")
        return self._node("grad", (self, other, gradin), other.ndim)

    def diff(self, other, diffin):
        """(dF/dv) diffin, the derivative in the direction diffin (of v's
        dimension) of the variable v = `other`: a LazyTensor of this
        formula's dimension (keops.diff, forward mode)."""
        _check_variable("diff", other)
        diffin = self._lt(diffin)
        if diffin.ndim != other.ndim:
            raise ValueError(f"diff: diffin has dimension {diffin.ndim} but the variable has "
                             f"dimension {other.ndim}")
        return self._node("diff", (self, other, diffin), self.ndim)

    def grad_matrix(self, other):
        """The Jacobian of F with respect to v, transposed and flattened:
        grad(v, e_k) for each basis vector e_k of F's dimension,
        concatenated (dimension dim(F) * dim(v))."""
        _check_variable("grad_matrix", other)
        d = self.ndim
        rows = [self.grad(other, _basis(self, d, k)) for k in range(d)]
        res = rows[0]
        for r in rows[1:]:
            res = res.concat(r)
        return res

    def divergence(self, other):
        """sum_k dF_k / dv_k, for F and v of one dimension."""
        _check_variable("divergence", other)
        if self.ndim != other.ndim:
            raise ValueError(f"divergence: the formula has dimension {self.ndim} and the "
                             f"variable {other.ndim}; they must be equal")
        d = self.ndim
        return _trace([self.diff(other, _basis(self, d, k)) for k in range(d)])

    def laplacian(self, other):
        """sum_k d^2 F / dv_k^2, for F of dimension 1."""
        _check_variable("laplacian", other)
        if self.ndim != 1:
            raise ValueError(f"laplacian: the formula has dimension {self.ndim}; it must "
                             "be 1")
        return self.grad(other, _basis(self, 1, 0)).divergence(other)

    def trace_operator(self, other):
        """The trace of the linear map v -> F(v) (F linear in v, of v's
        dimension): sum_k F(e_k)_k. v disappears from the formula: a symbolic
        v needs no data."""
        _check_variable("trace_operator", other)
        if self.ndim != other.ndim:
            raise ValueError(f"trace_operator: the formula has dimension {self.ndim} and "
                             f"the variable {other.ndim}; they must be equal")
        d = self.ndim
        return _trace([_substitute(self, other, _basis(self, d, k)) for k in range(d)])

    def factorize(self, other):
        """pykeops' factorization hint: the compiler factorizes by itself
        (keops-factorize), so the formula is returned as it is."""
        self._lt(other)
        return self

    def auto_factorize(self):
        """pykeops' factorization hint: the formula as it is (see factorize)."""
        return self


def _substitute(root, var, value):
    """root with the variable `var` replaced by `value` (a new DAG sharing
    the nodes that do not depend on var)."""
    from . import formula as fm
    nodes, _, _ = fm.collect((root,))
    mapped = {id(var): value}
    for node in nodes:
        if id(node) in mapped or not any(id(a) in mapped for a in node._args):
            continue
        if node._op in ("grad", "diff") and node._args[1] is var:
            raise ValueError("trace_operator: the formula differentiates with respect to "
                             "the variable it is linear in")
        args = tuple(mapped.get(id(a), a) for a in node._args)
        mapped[id(node)] = args[0]._node(node._op, args, node.ndim, node._attrs,
                                         cls=type(node))
    return mapped.get(id(root), root)


# --------------------------------------------------------------------------
# Derivatives of reductions, as reductions (forward mode, and the transpose
# of a sum linear in some inputs): formulas of Nodes, which the compiler
# differentiates (keops.diff, keops.grad). keops._autograd and keops.jax
# build on them.
# --------------------------------------------------------------------------

# Kinds whose outputs are indices: zero derivatives, no kernel.
ZERO_GRADIENT_KINDS = ("argmin", "argmax", "argkmin")
# Kinds whose values are selected terms -> the arg kind giving their indices
# (None: the indices are the reduction's second output).
SELECTED_KINDS = {"min": "argmin", "max": "argmax", "kmin": "argkmin", "min_argmin": None,
                  "max_argmax": None, "kmin_argkmin": None}


def _sum_of(fm, terms, ndim):
    acc = None
    for t in terms:
        acc = t if acc is None else fm.Node("add", (acc, t), (), ndim)
    return acc


def _at_selected(G, axis, k):
    """(G at the selected terms' index, the index variable): a new variable
    of K * D indices indexed like the output rows, G (dimension D) repeated
    in K blocks for the K-min kinds, compared with the reduced axis' index
    by name (a transposed reduction reduces the other axis)."""
    from . import formula as fm
    K, D = k or 1, G.ndim
    idx = fm.Node("var", (), ("index",), K * D, 1 - axis)
    if K > 1:
        G = fm.Node("shuffle", (G,), (tuple(range(D)) * K,), K * D)
    return fm.Node("select_index", (idx, G), ("ij"[axis],), K * D), idx


def _shifted_exp(F, L, E):
    """exp(F - L) of dimension E (F of dimension 1 or E)."""
    from . import formula as fm
    return fm.Node("exp", (fm.Node("sub", (F, L), (), E),), (), E)


def tangent_formula(roots, kind, axis, k, variables, has):
    """The formula G of the sum reduction (over the same axis) whose result
    is the tangent of the reduction (roots, kind) along tangents of the
    variables flagged in `has`, and the variables G reads after the
    reduction's: one tangent per flagged variable (shaped like it), then the
    logsumexp's result L or the selected terms' indices, indexed like the
    output rows. A sum gives sum_k diff(F, v_k, t_k); a selection, dF at the
    selected index (K blocks of D for the K-min kinds); a logsumexp of F
    (weights W), exp(F - L) (W dF + dW)."""
    from . import formula as fm
    if kind != "sum" and kind != "logsumexp" and kind not in SELECTED_KINDS:
        raise NotImplementedError(f"forward-mode derivatives of the {kind} reduction are "
                                  "not supported")
    pairs = [(v, fm.Node("var", (), (), v.ndim, v._cat)) for v, h in zip(variables, has) if h]

    def diff(G):
        return _sum_of(fm, [fm.Node("diff", (G, v, t), (), G.ndim) for v, t in pairs], G.ndim)

    F = roots[0]
    extra = [t for _, t in pairs]
    if kind == "sum":
        return diff(F), extra
    if kind in SELECTED_KINDS:
        selected, idx = _at_selected(diff(F), axis, k)
        return selected, extra + [idx]
    W = roots[1] if len(roots) > 1 else None
    E = W.ndim if W is not None else 1
    L = fm.Node("var", (), (), E, 1 - axis)
    G = diff(F)
    if W is not None:
        G = fm.Node("add", (fm.Node("mul", (W, G), (), E), diff(W)), (), E)
    return fm.Node("mul", (_shifted_exp(F, L, E), G), (), E), extra + [L]


def softmax_sum_formula(F, V, axis):
    """A sumsoftmaxweight of F (weights V) over `axis` as a logsumexp L of F
    and a sum: (G, L), G = exp(F - L) V the formula of the sum, L a new
    variable indexed like the output rows. Every derivative of the two is
    that of a logsumexp and a sum."""
    from . import formula as fm
    L = fm.Node("var", (), (), 1, 1 - axis)
    return fm.Node("mul", (_shifted_exp(F, L, 1), V), (), V.ndim), L


def _reads(root, var):
    """Whether the formula `root` depends on the variable node `var`."""
    seen, todo = set(), [root]
    while todo:
        node = todo.pop()
        if node is var:
            return True
        if id(node) not in seen:
            seen.add(id(node))
            todo.extend(node._args)
    return False


def _cotangent_terms(roots, kind, axis, k, C):
    """The reverse mode of one pair's term: [(H, c)] such that <C, d out>
    sums, over the reduced pairs, <c, dH> (c a formula of the same
    dimension as H), and the variables the c read after C: L (a logsumexp's
    result) or the selected terms' indices, indexed like the output rows. A
    sum gives (F, C); a logsumexp of F (weights W), with s = exp(F - L),
    (F, C s) or (F, sum(C s W)) and (W, C s); a selection, the formula at the
    selected index with C (the transpose of tangent_formula's rules)."""
    from . import formula as fm
    F = roots[0]
    if kind == "sum":
        return [(F, C)], []
    if kind in SELECTED_KINDS:
        selected, idx = _at_selected(F, axis, k)
        return [(selected, C)], [idx]
    if kind != "logsumexp":
        raise NotImplementedError(f"derivatives of the {kind} reduction are not supported")
    W = roots[1] if len(roots) > 1 else None
    E = W.ndim if W is not None else 1
    L = fm.Node("var", (), (), E, 1 - axis)
    cs = fm.Node("mul", (C, _shifted_exp(F, L, E)), (), E)
    if W is None:
        return [(F, cs)], [L]
    csw = fm.Node("sum", (fm.Node("mul", (cs, W), (), E),), (), 1)
    return [(F, csw), (W, cs)], [L]


def gradient_sums(roots, kind, axis, k, variables, wrt):
    """The reverse mode of a reduction (roots, kind) over `axis`: for a
    cotangent C of its (first) result, the gradients of <C, out> w.r.t. the
    variables at positions `wrt`, as at most two sum reductions of
    keops.grad ops. Returns (extra, [(G, reduced axis, parts)]): `extra` the
    variables the G read after the reduction's (C, then L or the indices,
    indexed like the output rows), G the concatenation of the gradients of
    the variables `parts` (ordered positions): over the same axis for the
    variables of the output rows and the parameters (whose gradients the
    caller sums over the rows), over the other axis for the variables of the
    reduced one. Each G is a formula again: its sum differentiates by the
    same rule, to any order."""
    from . import formula as fm
    W = roots[1] if len(roots) > 1 else None
    width = fm.output_widths(kind, roots[0].ndim, k, W.ndim if W is not None else None)[0]
    C = fm.Node("var", (), (), width, 1 - axis)
    terms, extra = _cotangent_terms(roots, kind, axis, k, C)
    out = []
    for new_axis, cats in ((axis, (1 - axis, 2)), (1 - axis, (axis,))):
        parts = [n for n in wrt if variables[n]._cat in cats]
        if not parts:
            continue
        G = None
        for n in parts:
            v = variables[n]
            g = _sum_of(fm, [fm.Node("grad", (H, v, c), (), v.ndim) for H, c in terms
                             if _reads(H, v)], v.ndim)
            if g is None:   # F does not read v: a zero gradient
                g = fm.Node("const", (), ((0.0,) * v.ndim,), v.ndim)
            G = g if G is None else fm.Node("concat", (G, g), (), G.ndim + g.ndim)
        out.append((G, new_axis, parts))
    return [C] + extra, out
