"""Formulas as keops-dialect MLIR.

A formula is a DAG of nodes; each node has
  _op     the op name (a key of OPS, or "var" / "const" for leaves),
  _args   the operand nodes,
  _attrs  a tuple of static attributes (hashable, printed into the cache key),
  ndim    the dimension D of its value (a vector<D x T> for one pair (i, j)),
and a variable ("var") also has _cat: 0 = i, 1 = j, 2 = parameter.
LazyTensor objects are such nodes; keops.genred builds them from strings.

`collect(roots)` walks a DAG once and returns its nodes in topological order,
its variables in order of first appearance (the kernel's inputs) and a key
(a tuple) that identifies the structure (ops, attributes, variables' categories
and dimensions; not the data). `reduction_mlir(...)` prints a module with
one `func.func` holding one `keops.reduce` in tensor form. Every emission is
the direct transcription of the op; simplification and code generation are
the compiler's business.
"""

import math
import struct

ELEMENT_TYPES = {"float16": "f16", "float32": "f32", "float64": "f64"}
INDEX_TYPE = "i64"
# The largest dimension of a formula value and of a variable, and the largest
# variable position: the IR's limit (kMaxFormulaDim), checked where nodes are
# made so that a huge one is a ValueError before anything of its size exists.
MAX_DIM = 1 << 16

# Reduction kinds of keops.reduce: (outputs are indices?, yields a weight?)
KINDS = {
    "sum": (False,),
    "min": (False,),
    "max": (False,),
    "argmin": (True,),
    "argmax": (True,),
    "min_argmin": (False, True),
    "max_argmax": (False, True),
    "kmin": (False,),
    "argkmin": (True,),
    "kmin_argkmin": (False, True),
    "logsumexp": (False,),
    "sumsoftmaxweight": (False,),
}
K_KINDS = ("kmin", "argkmin", "kmin_argkmin")
CATEGORY_NAMES = "ijp"


def output_widths(kind, fdim, k=None, wdim=None):
    """The width of each output of a reduction (see keops.reduce's table)."""
    if kind in ("logsumexp", "sumsoftmaxweight"):
        return [wdim if wdim is not None else 1]
    width = fdim * (k if kind in K_KINDS else 1)
    return [width] * len(KINDS[kind])


# --------------------------------------------------------------------------
# Walking a DAG
# --------------------------------------------------------------------------

def _visit(node, index, nodes, parts, variables):
    args = node._args
    if args:
        ids = [index[id(a)] if id(a) in index else _visit(a, index, nodes, parts, variables)
               for a in args]
        part = (node._op, node._attrs, *ids)
    elif node._op == "var":
        part = (node._cat, node.ndim, *node._attrs)   # ("index",): integers
        variables.append(node)
    else:
        part = (node._op, node._attrs)
    n = index[id(node)] = len(nodes)
    nodes.append(node)
    parts.append(part)
    return n


def _visit_iterative(root, index, nodes, parts, variables):
    """_visit without recursion, for very deep formulas."""
    stack = [root]
    while stack:
        node = stack[-1]
        if id(node) in index:
            stack.pop()
            continue
        pending = [a for a in node._args if id(a) not in index]
        if pending:
            stack.extend(reversed(pending))
            continue
        stack.pop()
        _visit(node, index, nodes, parts, variables)


def collect(roots):
    """(nodes in topological order, variables in order of first appearance,
    structural key). Shared sub-formulas (the same node object) are visited
    once, so they become one SSA value; each variable node is one input. The
    key (a tuple) holds, per node, its op, attributes and operand positions,
    and per variable its category and dimension."""
    index = {}
    nodes = []
    parts = []
    variables = []
    for r in roots:
        if id(r) not in index:
            try:
                _visit(r, index, nodes, parts, variables)
            except RecursionError:
                index.clear(), nodes.clear(), parts.clear(), variables.clear()
                return _collect_iterative(roots)
    parts.append(tuple([index[id(r)] for r in roots]))
    return nodes, variables, tuple(parts)


def _collect_iterative(roots):
    index, nodes, parts, variables = {}, [], [], []
    for r in roots:
        _visit_iterative(r, index, nodes, parts, variables)
    parts.append(tuple([index[id(r)] for r in roots]))
    return nodes, variables, tuple(parts)


# --------------------------------------------------------------------------
# Emission
# --------------------------------------------------------------------------

def float_literal(value, T):
    """An MLIR float literal of `value` in type T (hexadecimal bits for
    infinities and NaN)."""
    value = float(value)
    if math.isfinite(value):
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:
            mant, exp = text.split("e")
            text = mant + ".0e" + exp
        return text
    fmt, width = {"f16": ("<e", 4), "f32": ("<f", 8), "f64": ("<d", 16)}[T]
    bits = int.from_bytes(struct.pack(fmt, value), "little")
    return "0x%0*X" % (width, bits)


class Emitter:
    """Prints the ops of one formula region."""

    def __init__(self, T):
        self.T = T
        self.lines = []
        self.count = 0

    def vt(self, d):
        return "vector<%dx%s>" % (d, self.T)

    def emit(self, text):
        self.count += 1
        name = "%%t%d" % self.count
        self.lines.append("    %s = %s" % (name, text))
        return name

    def const(self, values, d):
        if len(set(values)) == 1:
            body = float_literal(values[0], self.T)
        else:
            body = "[" + ", ".join(float_literal(v, self.T) for v in values) + "]"
        return self.emit("arith.constant dense<%s> : %s" % (body, self.vt(d)))

    def broadcast(self, value, dim, to):
        """`value` (dimension `dim`) as a vector of dimension `to`."""
        if dim == to:
            return value
        assert dim == 1, (dim, to)
        return self.emit("vector.broadcast %s : %s to %s" % (value, self.vt(1), self.vt(to)))


def _same(em, operands, dim):
    """The operands broadcast to a common dimension `dim`."""
    return [em.broadcast(v, d, dim) for v, d in operands]


def _pointwise(opname):
    def emit(em, node, operands):
        vals = _same(em, operands, node.ndim)
        return em.emit("%s %s : %s" % (opname, ", ".join(vals), em.vt(node.ndim)))
    return emit


def _feature(opname):
    """Ops whose type suffix is their (first) operand's type."""
    def emit(em, node, operands):
        dim = max(d for _, d in operands)
        vals = _same(em, operands, dim)
        return em.emit("%s %s : %s" % (opname, ", ".join(vals), em.vt(dim)))
    return emit


def _square(em, node, operands):
    (x, _), = operands
    return em.emit("arith.mulf %s, %s : %s" % (x, x, em.vt(node.ndim)))


def _inv(em, node, operands):
    (x, d), = operands
    one = em.const([1.0], d)
    return em.emit("arith.divf %s, %s : %s" % (one, x, em.vt(d)))


def _with_int(opname):
    def emit(em, node, operands):
        (x, d), = operands
        return em.emit("%s %s, %d : %s" % (opname, x, node._attrs[0], em.vt(d)))
    return emit


def _cmp(em, node, operands):
    vals = _same(em, operands, node.ndim)
    return em.emit("keops.cmp %s, %s, %s : %s" % (node._attrs[0], vals[0], vals[1],
                                                   em.vt(node.ndim)))


def _two_types(opname):
    def emit(em, node, operands):
        (a, da), (b, db) = operands
        return em.emit("%s %s, %s : %s, %s" % (opname, a, b, em.vt(da), em.vt(db)))
    return emit


def _wsqdist(em, node, operands):
    (w, dw), (x, dx), (y, dy) = operands
    dim = max(dx, dy)
    x, y = em.broadcast(x, dx, dim), em.broadcast(y, dy, dim)
    return em.emit("keops.weightedsqdist %s, %s, %s : %s, %s" % (w, x, y, em.vt(dw), em.vt(dim)))


def _slice(em, node, operands):
    (x, d), = operands
    start, length = node._attrs
    return em.emit("vector.extract_strided_slice %s {offsets = [%d], sizes = [%d], strides = [1]}"
                   " : %s to %s" % (x, start, length, em.vt(d), em.vt(length)))


def _concat(em, node, operands):
    (a, da), (b, db) = operands
    mask = ", ".join(str(k) for k in range(da + db))
    return em.emit("vector.shuffle %s, %s [%s] : %s, %s" % (a, b, mask, em.vt(da), em.vt(db)))


def _one_hot(em, node, operands):
    (x, d), = operands
    return em.emit("keops.one_hot %s, %d : %s" % (x, node._attrs[0], em.vt(d)))


def _ints(values):
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


def _tensordot(em, node, operands):
    (a, da), (b, db) = operands
    sa, sb, ca, cb, perm = node._attrs
    free = [s for k, s in enumerate(sa) if k not in ca] + \
           [s for k, s in enumerate(sb) if k not in cb]
    dim = math.prod(free)
    r = em.emit("keops.tensordot %s, %s shapes %s, %s contract %s, %s : %s, %s"
                % (a, b, _ints(sa), _ints(sb), _ints(ca), _ints(cb), em.vt(da), em.vt(db)))
    if perm is None or list(perm) == list(range(len(free))):
        return r
    # keopscore's convention: axis k of the contraction goes to position
    # perm[k] of the result.
    mask = _permutation_mask(free, perm)
    return em.emit("vector.shuffle %s, %s [%s] : %s, %s"
                   % (r, r, ", ".join(map(str, mask)), em.vt(dim), em.vt(dim)))


def _permutation_mask(shape, perm):
    """Flat source positions of the row-major tensor of `shape` whose axis k
    moves to position perm[k]."""
    import itertools
    n = len(shape)
    out_shape = [0] * n
    for k in range(n):
        out_shape[perm[k]] = shape[k]
    strides = [math.prod(shape[k + 1:]) for k in range(n)]
    mask = []
    for out_idx in itertools.product(*[range(s) for s in out_shape]):
        mask.append(sum(out_idx[perm[k]] * strides[k] for k in range(n)))
    return mask


def _kron(em, node, operands):
    (a, da), (b, db) = operands
    sa, sb = node._attrs
    return em.emit("keops.kron %s, %s shapes %s, %s : %s, %s"
                   % (a, b, _ints(sa), _ints(sb), em.vt(da), em.vt(db)))


def _const(em, node, operands):
    values = node._attrs[0]
    if not isinstance(values, tuple):
        values = (values,) * node.ndim
    return em.const(values, node.ndim)


def _derivative(opname):
    """keops.grad / keops.diff of operands (formula, variable, direction)."""
    def emit(em, node, operands):
        (f, df), (v, dv), (e, de) = operands
        return em.emit("%s %s wrt %s, %s : %s, %s" % (opname, f, v, e, em.vt(df), em.vt(dv)))
    return emit


# op name -> emitter(emitter, node, [(ssa value, dim) of operands]) -> ssa
OPS = {
    "grad": _derivative("keops.grad"),
    "diff": _derivative("keops.diff"),
    "const": _const,
    "add": _pointwise("arith.addf"),
    "sub": _pointwise("arith.subf"),
    "mul": _pointwise("arith.mulf"),
    "div": _pointwise("arith.divf"),
    "neg": _pointwise("arith.negf"),
    "square": _square,
    "inv": _inv,
    "abs": _pointwise("math.absf"),
    "atan2": _pointwise("math.atan2"),
    "powf": _pointwise("math.powf"),
    "powi": _with_int("keops.powi"),
    "round": _with_int("keops.round"),
    "cmp": _cmp,
    "clamp": _pointwise("keops.clamp"),
    "ifelse": _pointwise("keops.ifelse"),
    "mod": _pointwise("keops.mod"),
    "dot": _feature("keops.dot"),
    "sqdist": _feature("keops.sqdist"),
    "wsqnorm": _two_types("keops.weightedsqnorm"),
    "wsqdist": _wsqdist,
    "slice": _slice,
    "concat": _concat,
    "one_hot": _one_hot,
    "matvecmult": _two_types("keops.matvecmult"),
    "vecmatmult": _two_types("keops.vecmatmult"),
    "tensorprod": _two_types("keops.tensorprod"),
    "tensordot": _tensordot,
    "kron": _kron,
}
for _name in ("exp", "log", "sin", "cos", "tan", "asin", "acos", "atan", "sinh",
              "cosh", "tanh", "sqrt", "floor", "ceil", "erf"):
    OPS[_name] = _pointwise("math." + _name)


def _rsqrt(em, node, operands):
    """pykeops' Rsqrt: 1/sqrt(x), and 0 at x = 0 (Norm2 and distance
    kernels depend on it). The rsqrt reads 1 there, so that no infinity
    reaches its derivative."""
    (x,) = _same(em, operands, node.ndim)
    t = em.vt(node.ndim)
    zero, one = em.const([0.0], node.ndim), em.const([1.0], node.ndim)
    at0 = em.emit("arith.cmpf oeq, %s, %s : %s" % (x, zero, t))
    safe = em.emit("arith.select %s, %s, %s : vector<%dxi1>, %s" % (at0, one, x, node.ndim, t))
    r = em.emit("math.rsqrt %s : %s" % (safe, t))
    return em.emit("arith.select %s, %s, %s : vector<%dxi1>, %s" % (at0, zero, r, node.ndim, t))


OPS["rsqrt"] = _rsqrt


# Complex values are vectors of (real, imaginary) pairs (see keops.complex).
def _shuffle(em, node, operands):
    """vector.shuffle of one or two operands with the mask node._attrs[0]."""
    (a, da), (b, db) = operands[0], operands[-1]
    return em.emit("vector.shuffle %s, %s [%s] : %s, %s"
                   % (a, b, ", ".join(map(str, node._attrs[0])), em.vt(da), em.vt(db)))


def _to_complex(part):
    """real2complex (part 0) / imag2complex (part 1): x interleaved with 0."""
    def emit(em, node, operands):
        (x, d), = operands
        zero = em.const([0.0], d)
        mask = [k + (d if (p != part) else 0) for k in range(d) for p in (0, 1)]
        return em.emit("vector.shuffle %s, %s [%s] : %s, %s"
                       % (x, zero, ", ".join(map(str, mask)), em.vt(d), em.vt(d)))
    return emit


OPS["shuffle"] = _shuffle
# v where the index variable idx equals the current reduced index (or that of
# the axis named in the attributes: ("i",) or ("j",)), else 0.
OPS["select_index"] = lambda em, node, operands: em.emit(
    "keops.select_index %s, %s%s : vector<%dx%s>, %s"
    % (operands[0][0], operands[1][0], "".join(" at " + a for a in node._attrs), node.ndim,
       INDEX_TYPE, em.vt(node.ndim)))
# A real vector of pairs read as complex numbers (formula strings): no op.
OPS["as_complex"] = lambda em, node, operands: operands[0][0]
OPS["real2complex"] = _to_complex(0)
OPS["imag2complex"] = _to_complex(1)
for _name in ("cmul", "cdiv", "conj", "cexp"):
    OPS[_name] = _pointwise("keops." + _name)
for _name in ("cabs", "cangle", "csum"):
    OPS[_name] = _feature("keops." + _name)
for _name in ("sign", "step", "relu", "xlogx", "sinxdivx", "normalize"):
    OPS[_name] = _pointwise("keops." + _name)
for _name in ("sum", "max", "min", "argmax", "argmin", "sqnorm2", "norm2"):
    OPS[_name] = _feature("keops." + _name)


def batch_prefix(broadcast):
    """The batch axes of an operand type: "1x" where the operand is broadcast,
    "?x" elsewhere."""
    return "".join("1x" if b else "?x" for b in broadcast)


def batch_prefixes(batch, count):
    """(the batch prefix of each of `count` variables, that of the outputs)
    for the batch pattern `batch` (see reduction_mlir): the outputs have a
    static 1 where every variable has one."""
    if not batch:
        return [""] * count, ""
    return [batch_prefix(b) for b in batch], batch_prefix(output_pattern(batch))


def output_pattern(batch):
    """The outputs' batch pattern, given the variables': broadcast (a static
    1) along the axes where every variable is. A variable indexed like the
    output rows (a logsumexp's result, argmin's indices) has this pattern."""
    return tuple(all(a) for a in zip(*batch))


def element_type(var, T):
    """The element type of a variable: T, or INDEX_TYPE for an index
    variable (a "var" node with the attribute "index": integers that only
    keops.select_index reads)."""
    return INDEX_TYPE if var._attrs == ("index",) else T


def variable_type(cat, dim, T, prefix=""):
    """The tensor type of a variable of category `cat` (2: a parameter, (D);
    else (rows, D)) after its batch prefix."""
    return ("tensor<%s%dx%s>" % (prefix, dim, T) if cat == 2
            else "tensor<%s?x%dx%s>" % (prefix, dim, T))


def output_types(kind, widths, T, prefix=""):
    """The tensor types of a reduction's outputs (values T, indices
    INDEX_TYPE) after their batch prefix."""
    return ["tensor<%s?x%dx%s>" % (prefix, w, INDEX_TYPE if idx else T)
            for w, idx in zip(widths, KINDS[kind])]


RANGES_TYPES = ("tensor<%s?x2xi64>", "tensor<%s?xi64>", "tensor<%s?x2xi64>") * 2


def ranges_types(ranges, prefix):
    """The types of the six ranges arrays: shared by the batch elements, or
    ("per_element") with the outputs' batch prefix `prefix` in front."""
    return [t % (prefix if ranges == "per_element" else "") for t in RANGES_TYPES]


def reduction_mlir(roots, kind, axis, dtype, k=None, name="reduction", collected=None,
                   batch=(), ranges=False):
    """The MLIR text of `func.func @name` holding one keops.reduce of kind
    `kind` over `axis` ("i" or "j"): the formula is roots[0]; roots[1], if
    any, is the second yielded value (logsumexp's weight, sumsoftmaxweight's
    value). The function takes the formula's variables (in the order of
    `collect(roots)`: %a0, %a1, ...), then one output tensor per result
    (%o0, ...), and returns the filled outputs. dtype: "float32", "float64"
    or "float16".

    `batch`, for a reduction with batch axes: per variable, per batch axis,
    whether the variable is broadcast along it (a static 1 in its type);
    the outputs have a static 1 where every variable has one.

    `ranges`: a block-sparse reduction ("shared" by the batch elements or
    "per_element"), whose six ranges arrays are arguments %q0 ... %q5 after
    the outputs."""
    T = ELEMENT_TYPES[dtype]
    nodes, variables, _ = collected or collect(roots)
    em = Emitter(T)
    values = {}
    for v, var in enumerate(variables):
        values[id(var)] = "%%v%d" % v
    for node in nodes:
        if node._op == "var":
            continue
        operands = [(values[id(a)], a.ndim) for a in node._args]
        values[id(node)] = OPS[node._op](em, node, operands)

    prefixes, out_prefix = batch_prefixes(batch, len(variables))

    def shaped(n, cat, d):
        return variable_type(cat, d, element_type(variables[n], T), prefixes[n])

    fdim = roots[0].ndim
    wdim = roots[1].ndim if len(roots) > 1 else None
    widths = output_widths(kind, fdim, k, wdim)
    out_types = output_types(kind, widths, T, out_prefix)
    fargs = ["%%a%d: %s" % (n, shaped(n, v._cat, v.ndim)) for n, v in enumerate(variables)]
    fargs += ["%%o%d: %s" % (n, t) for n, t in enumerate(out_types)]
    rclause = ""
    if ranges:
        rtypes = ranges_types(ranges, out_prefix)
        fargs += ["%%q%d: %s" % (n, t) for n, t in enumerate(rtypes)]
        rclause = " ranges(%s : %s)" % (", ".join("%%q%d" % n for n in range(6)),
                                        ", ".join(rtypes))
    ins = ", ".join("%%a%d : %s %s" % (n, CATEGORY_NAMES[v._cat], shaped(n, v._cat, v.ndim))
                    for n, v in enumerate(variables))
    outs = ", ".join("%%o%d : %s" % (n, t) for n, t in enumerate(out_types))
    bbargs = ", ".join("%%v%d: vector<%dx%s>" % (n, v.ndim, element_type(v, T))
                       for n, v in enumerate(variables))
    kk = " k = %d" % k if kind in K_KINDS else ""
    types = ", ".join(out_types)
    yields = ", ".join(values[id(r)] for r in roots)
    ytypes = ", ".join(em.vt(r.ndim) for r in roots)
    results = ", ".join("%%r#%d" % n for n in range(len(out_types)))
    lines = [
        "func.func @%s(%s) -> (%s) {" % (name, ", ".join(fargs), types),
        "  %%r:%d = keops.reduce %s%s over %s ins(%s) outs(%s)%s {"
        % (len(out_types), kind, kk, axis, ins, outs, rclause),
        "  ^bb0(%s):" % bbargs,
        *em.lines,
        "    keops.yield %s : %s" % (yields, ytypes),
        "  } -> %s" % types,
        "  return %s : %s" % (results, types),
        "}",
    ]
    return "\n".join(lines) + "\n"


class Node:
    """A formula node without data (what a Plan keeps of its formula)."""

    __slots__ = ("_op", "_args", "_attrs", "ndim", "_cat", "_sym")

    def __init__(self, op, args, attrs, ndim, cat=None, sym=None):
        self._op, self._args, self._attrs, self.ndim = op, args, attrs, ndim
        self._cat, self._sym = cat, sym


def strip(roots, collected):
    """(roots, collected) rebuilt from Node objects: the structure of a
    formula without its data (plans are cached; they must not keep arrays
    alive)."""
    nodes, variables, key = collected
    mapped = {}
    for node in list(nodes) + list(variables):   # variables: also a dummy one
        if id(node) in mapped:
            continue
        mapped[id(node)] = Node(node._op, tuple(mapped[id(a)] for a in node._args),
                                node._attrs, node.ndim, node._cat, node._sym)
    return (tuple(mapped[id(r)] for r in roots),
            ([mapped[id(n)] for n in nodes], [mapped[id(v)] for v in variables], key))
