//===- KeopsOps.td - keops formula and reduction ops -------*- tablegen -*-===//

#ifndef KEOPS_OPS_TD
#define KEOPS_OPS_TD

include "KeopsDialect.td"
include "KeopsInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

class Keops_Op<string mnemonic, list<Trait> traits = []>
    : Op<Keops_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Reduction
//===----------------------------------------------------------------------===//

def Keops_ReduceOp : Keops_Op<"reduce", [
    AttrSizedOperandSegments, IsolatedFromAbove,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
    DestinationStyleOpInterface, SingleBlock]> {
  let summary = "Reduction of a symbolic matrix over i or over j";
  let description = [{
    Reduces `M[i, j] = F(vars)` over the axis `over`. Each operand of `ins`
    is a variable with a category: an `i` variable is an M x D array (one
    D-vector per row), a `j` variable an N x D array, a `p` parameter a
    D-vector. The region computes `F` for one pair: its block arguments are
    the variables' values (`vector<D x T>`), in the order of `ins`.

    Variables hold floats of one type T (f16, f32 or f64), which is the
    element type of every formula value and of the value outputs; at least
    one variable must be a float one. A variable of any category may also
    hold integers (i32 or i64): an **index variable**, such as the index
    output of an argmin reduction. Its block argument is a
    `vector<D x i32|i64>` that only `keops.select_index` may use (as its
    first operand).

    The outputs (`outs`, destination style) have one row per index of the
    axis that is kept: M rows for a reduction over j, N rows for one over i.
    With tensors the op returns the filled outputs; with memrefs it writes
    them and returns nothing.

    **Batches.** Every operand may start with the same number of batch axes
    (B1 x ... x Bk x rows x D, B1 x ... x Bk x D for a parameter): the op
    is then B1 * ... * Bk independent reductions, one per batch element.
    The outputs' leading extents are the batch shape; an input has the same
    extent on each batch axis or a static 1, which broadcasts it along that
    axis (NumPy's rule), so `tensor<1x?x3xf32>` is one array of points shared
    by every batch element. M and N are the same for every batch element.

    **Block-sparse ranges.** `ranges(%ri, %si, %rj, %rj2, %sj, %ri2 : ...)`
    restricts the pairs that are reduced, with pykeops' six integer arrays
    (i32 or i64, one type for all six): for a reduction over j, the rows of
    block k are `[ri[k, 0], ri[k, 1])` and they are reduced over the
    intervals `rj[s] = [rj[s, 0], rj[s, 1])` of j for s in
    `[si[k - 1], si[k])` (`si[-1]` being 0); a reduction over i reads the
    last three arrays the same way with i and j swapped. Rows that no block
    covers get the empty reduction (0 for a sum, +inf and index -1 for a
    min, ...). Blocks must not overlap, nor the intervals of one block
    (pykeops would count such pairs twice); every bound lies in
    `[0, M]` or `[0, N]`; the runtime and the interpreter check this and
    report the first violation. The six arrays are shared by every batch
    element, or each has the reduction's batch axes in front (with its
    extents, no broadcasting): one tuple per batch element, the arrays of
    one element possibly padded (empty blocks, unread intervals). A gradient
    over the other axis reads the same six operands: each axis has its own
    triple.

    | kind | yields | outputs (per kept row) |
    |------|--------|------------------------|
    | sum, min, max | f (dim D) | D values |
    | argmin, argmax | f (dim D) | D indices |
    | min_argmin, max_argmax | f (dim D) | D values, D indices |
    | kmin | f (dim D) | K*D values (K blocks of D, ascending) |
    | argkmin | f (dim D) | K*D indices |
    | kmin_argkmin | f (dim D) | K*D values, K*D indices |
    | logsumexp | f (dim 1) [, w (dim E)] | 1 value, or E values log(sum exp(f) w) |
    | sumsoftmaxweight | f (dim 1), v (dim E) | E values sum(exp(f) v) / sum(exp(f)) |

    **Partial reductions.** With `partial`, the outputs are the reduction's
    unfinalized state per kept row, in the arrays of its kind's state
    layout (ReduceOp::getStateLayout, docs/architecture.md): the state of
    the reduction over the reduced rows the op sees, whose index `r` is the
    reduced index `first + r` (`from %first`, an index; 0 without it).
    States of consecutive or disjoint ranges combine with
    `keops.merge_states` and end as the outputs with
    `keops.finalize_states`, the one protocol of every backend, so that a
    reduction splits over threads, devices and machines.

    Min, max and their indices are taken component by component; on ties the
    smallest index wins; NaN compares as larger than every number for min
    kinds (smaller for max kinds), so a NaN is selected only when nothing else
    is left. Indices are integers (i32 or i64).

    Example, the Gaussian kernel sum `out_i = sum_j exp(-|x_i - y_j|^2) b_j`:

    ```mlir
    %out = keops.reduce sum over j
        ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x1xf32>)
        outs(%init : tensor<?x1xf32>) {
    ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<1xf32>):
      %d = keops.sqdist %xi, %yj : vector<3xf32>
      %n = arith.negf %d : vector<1xf32>
      %e = math.exp %n : vector<1xf32>
      %r = arith.mulf %e, %bj : vector<1xf32>
      keops.yield %r : vector<1xf32>
    } -> tensor<?x1xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyShaped>:$ins,
                       Variadic<AnyShaped>:$outs,
                       Variadic<AnyShaped>:$ranges,
                       Optional<Index>:$first,
                       Keops_ReductionKindAttr:$kind,
                       Keops_AxisAttr:$axis,
                       Keops_CategoryArrayAttr:$categories,
                       OptionalAttr<I64Attr>:$k,
                       UnitAttr:$partial);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$formula);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "ReductionKind":$kind, "Axis":$axis,
                   "::mlir::ValueRange":$ins,
                   "::llvm::ArrayRef<Category>":$categories,
                   "::mlir::ValueRange":$outs,
                   CArg<"std::optional<int64_t>", "std::nullopt">:$k,
                   CArg<"::mlir::ValueRange", "{}">:$ranges,
                   CArg<"bool", "false">:$partial,
                   CArg<"::mlir::Value", "{}">:$first)>
  ];
  let extraClassDeclaration = [{
    /// The category of the variable bound to block argument `index`.
    Category getCategory(unsigned index);
    /// The floating-point element type of the formula's values: that of the
    /// float inputs (null when there is none, which the verifier rejects).
    ::mlir::FloatType getElementType();
    /// Whether input `index` is an integer (index) variable.
    bool isIntegerInput(unsigned index);
    /// The category of the variables that are reduced away (j for `over j`).
    Category getReducedCategory() {
      return getAxis() == Axis::J ? Category::J : Category::I;
    }
    /// The category of the variables indexed like the output rows.
    Category getKeptCategory() {
      return getAxis() == Axis::J ? Category::I : Category::J;
    }
    /// Number of outputs a reduction kind writes: 2 for min_argmin,
    /// max_argmax and kmin_argkmin, else 1.
    static unsigned getNumOutputs(ReductionKind kind);
    /// Whether output `index` of `kind` holds indices rather than values.
    static bool isIndexOutput(ReductionKind kind, unsigned index);
    /// Whether `kind` needs the attribute K.
    static bool needsK(ReductionKind kind);
    /// The arrays a reduction of `kind` writes per kept row (getPartial():
    /// its state's), for a formula of dimension `dim` (the first yielded
    /// value's) and `weightDim` (the second's; 0 without one).
    static ::llvm::SmallVector<OutputArray>
    getOutputLayout(ReductionKind kind, int64_t k, int64_t dim,
                    int64_t weightDim, bool partial);
    /// The layout of a partial reduction's state (getOutputLayout).
    static ::llvm::SmallVector<OutputArray>
    getStateLayout(ReductionKind kind, int64_t k, int64_t dim,
                   int64_t weightDim) {
      return getOutputLayout(kind, k, dim, weightDim, /*partial=*/true);
    }
    /// The arrays this op writes per kept row.
    ::llvm::SmallVector<OutputArray> getOutputLayout();
    /// The number of batch axes: every operand's leading axes (those of
    /// the outputs give the extents; an input with a static 1 there is
    /// broadcast along the axis).
    int64_t getBatchRank();
    /// Whether an operand of type `type` is broadcast along batch axis
    /// `axis` (its extent there is a static 1).
    static bool isBroadcastAxis(::mlir::ShapedType type, int64_t axis);
    /// Per batch axis, whether input `index` is broadcast along it.
    ::llvm::SmallVector<bool> getBroadcastAxes(unsigned index);
    /// Checks the batch extents of the operands against each other.
    ::mlir::LogicalResult verifyBatchExtents();
    /// Checks the six ranges operands of a block-sparse reduction.
    ::mlir::LogicalResult verifyRanges();
    /// Whether the reduction is block-sparse (has ranges operands).
    bool hasRanges() { return !getRanges().empty(); }
    /// Whether the ranges are given per batch element (the reduction's
    /// batch axes in front of each array) rather than shared by all.
    bool hasBatchedRanges() {
      return hasRanges() && getBatchRank() > 0 &&
             ::mlir::cast<::mlir::ShapedType>(getRanges()[1].getType())
                     .getRank() > 1;
    }
    /// The three ranges arrays this reduction reads (its axis' triple):
    /// blocks of kept rows, their cumulative interval counts, the intervals
    /// of the reduced axis.
    ::mlir::ValueRange getAxisRanges() {
      return hasRanges() ? getRanges().slice(getAxis() == Axis::J ? 0 : 3, 3)
                         : ::mlir::ValueRange();
    }
    /// The formula's terminator.
    YieldOp getYield();
    /// How often a formula op must be evaluated: once per reduction (it
    /// depends only on parameters and constants), once per output row (also
    /// on the variables indexed like the output rows), or once per pair.
    enum class Invariance { Reduction, Row, Pair };
    /// The invariance of every op of the formula, in order.
    ::llvm::DenseMap<::mlir::Operation *, Invariance> getInvariance();
    /// The sides of the pair a formula value depends on, as a bit set: the
    /// kept side (kept variables, the kept index), the reduced side (reduced
    /// variables, the reduced index), both, or neither (parameters and
    /// constants only).
    enum Side : unsigned { NoSide = 0, KeptSide = 1, ReducedSide = 2 };
    /// The sides of every block argument and every formula op's results.
    ::llvm::DenseMap<::mlir::Value, unsigned> getSides();
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getOutsMutable();
    }
  }];
}

def Keops_YieldOp : Keops_Op<"yield", [
    Pure, Terminator, ReturnLike, HasParent<"ReduceOp">]> {
  let summary = "Returns the value of a formula for one pair";
  let arguments = (ins Variadic<Keops_Formula>:$values);
  let assemblyFormat = "$values attr-dict `:` type($values)";
}

//===----------------------------------------------------------------------===//
// Pointwise ops. Elementary functions with IEEE semantics are the upstream
// `math` and `arith` ops; these are KeOps' own functions.
//===----------------------------------------------------------------------===//

class Keops_PointwiseOp<string mnemonic, list<Trait> traits = []>
    : Keops_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType,
                                          DeclareOpInterfaceMethods<KeopsDifferentiable>])> {
  let results = (outs Keops_Formula:$result);
}

class Keops_UnaryOp<string mnemonic, string summ, string desc>
    : Keops_PointwiseOp<mnemonic> {
  let summary = summ;
  let description = desc;
  let arguments = (ins Keops_Formula:$x);
  let assemblyFormat = "$x attr-dict `:` type($result)";
  let hasFolder = 1;
}

def Keops_SignOp : Keops_UnaryOp<"sign", "Sign of each component",
  "-1 for x < 0, 0 for x = 0 (either sign), +1 for x > 0, NaN for NaN.">;
def Keops_StepOp : Keops_UnaryOp<"step", "Heaviside step",
  "0 for x < 0, 1 for x >= 0, NaN for NaN.">;
def Keops_ReluOp : Keops_UnaryOp<"relu", "Rectified linear unit",
  "0 for x < 0, x otherwise (NaN stays NaN).">;
def Keops_XLogXOp : Keops_UnaryOp<"xlogx", "x * log(x), continued by 0 at 0",
  "x log x for x > 0, 0 for x = 0, NaN for x < 0.">;
def Keops_SinXDivXOp : Keops_UnaryOp<"sinxdivx", "sin(x) / x, continued by 1 at 0",
  "sin(x) / x for x != 0, 1 for x = 0.">;

def Keops_PowIOp : Keops_PointwiseOp<"powi"> {
  let summary = "Integer power";
  let description = [{
    `x^n` for an integer `n` (negative allowed: `1 / x^-n`). `x^0` is 1 for
    every x, NaN included, as IEEE 754 `pown` specifies.
  }];
  let arguments = (ins Keops_Formula:$x, I64Attr:$exponent);
  let assemblyFormat = "$x `,` $exponent attr-dict `:` type($result)";
  let hasFolder = 1;
}

def Keops_RoundOp : Keops_PointwiseOp<"round"> {
  let summary = "Rounding to a number of decimals";
  let description = [{
    Rounds each component to `decimals` digits after the decimal point (a
    negative count rounds to tens, hundreds, ...); halves round away from 0.
  }];
  let arguments = (ins Keops_Formula:$x, I64Attr:$decimals);
  let assemblyFormat = "$x `,` $decimals attr-dict `:` type($result)";
  let hasFolder = 1;
}

def Keops_ClampOp : Keops_PointwiseOp<"clamp"> {
  let summary = "Clamps x into [lo, hi]";
  let description = "min(max(x, lo), hi), component by component.";
  let arguments = (ins Keops_Formula:$x, Keops_Formula:$lo, Keops_Formula:$hi);
  let assemblyFormat = "$x `,` $lo `,` $hi attr-dict `:` type($result)";
}

def Keops_IfElseOp : Keops_PointwiseOp<"ifelse"> {
  let summary = "Selects a where c >= 0, b elsewhere";
  let description = [{
    Component by component: `c >= 0 ? a : b`. A NaN condition selects `b`.
  }];
  let arguments = (ins Keops_Formula:$cond, Keops_Formula:$a, Keops_Formula:$b);
  let assemblyFormat = "$cond `,` $a `,` $b attr-dict `:` type($result)";
  let hasFolder = 1;
}

def Keops_ModOp : Keops_PointwiseOp<"mod"> {
  let summary = "Modulo with a period and an offset";
  let description = "x - n * floor((x - d) / n): the representative of x in [d, d + n).";
  let arguments = (ins Keops_Formula:$x, Keops_Formula:$n, Keops_Formula:$d);
  let assemblyFormat = "$x `,` $n `,` $d attr-dict `:` type($result)";
}

def Keops_CmpOp : Keops_PointwiseOp<"cmp"> {
  let summary = "Comparison returning 1 where it holds and 0 elsewhere";
  let description = [{
    Ordered comparisons: every predicate but `ne` is false (0) when an operand
    is NaN; `ne` is true (1).
  }];
  let arguments = (ins Keops_CmpPredicateAttr:$predicate,
                       Keops_Formula:$lhs, Keops_Formula:$rhs);
  let assemblyFormat = "$predicate `,` $lhs `,` $rhs attr-dict `:` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Reductions over the feature axis and norms. Results have dimension 1.
//===----------------------------------------------------------------------===//

class Keops_ToScalarOp<string mnemonic, string summ, string desc>
    : Keops_Op<mnemonic, [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<KeopsDifferentiable>]> {
  let summary = summ;
  let description = desc;
  let arguments = (ins Keops_Formula:$x);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
  let hasFolder = 1;
}

def Keops_SumOp : Keops_ToScalarOp<"sum", "Sum of the components", "">;
def Keops_MaxOp : Keops_ToScalarOp<"max", "Largest component",
  "NaN if any component is NaN.">;
def Keops_MinOp : Keops_ToScalarOp<"min", "Smallest component",
  "NaN if any component is NaN.">;
def Keops_ArgMaxOp : Keops_ToScalarOp<"argmax", "Position of the largest component",
  "As a float; the first position wins ties; a NaN component is the largest.">;
def Keops_ArgMinOp : Keops_ToScalarOp<"argmin", "Position of the smallest component",
  "As a float; the first position wins ties; a NaN component is the smallest.">;
def Keops_SqNorm2Op : Keops_ToScalarOp<"sqnorm2", "Squared Euclidean norm",
  "sum_k x_k^2.">;
def Keops_Norm2Op : Keops_ToScalarOp<"norm2", "Euclidean norm",
  "sqrt(sum_k x_k^2).">;

def Keops_NormalizeOp : Keops_Op<"normalize", [Pure, SameOperandsAndResultType, DeclareOpInterfaceMethods<KeopsDifferentiable>]> {
  let summary = "x / |x|";
  let description = "x * rsqrt(sum_k x_k^2); the zero vector gives NaN.";
  let arguments = (ins Keops_Formula:$x);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = "$x attr-dict `:` type($result)";
}

class Keops_BinaryToScalarOp<string mnemonic, string summ, string desc>
    : Keops_Op<mnemonic, [Pure, InferTypeOpAdaptor, AllTypesMatch<["lhs", "rhs"]>,
                                      DeclareOpInterfaceMethods<KeopsDifferentiable>]> {
  let summary = summ;
  let description = desc;
  let arguments = (ins Keops_Formula:$lhs, Keops_Formula:$rhs);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs)";
}

def Keops_DotOp : Keops_BinaryToScalarOp<"dot", "Scalar product",
  "sum_k a_k b_k.">;
def Keops_GramOp : Keops_BinaryToScalarOp<"gram", "An entry of the Gram matrix of the kept and reduced rows",
  [{
    sum_k a_k b_k, as keops.dot, where `lhs` depends on no reduced variable
    and `rhs` on no kept variable (the reduce op's verifier checks it): for
    a reduction over j, the entry (i, j) of the product A B^T of the matrix
    of all rows' `lhs` and that of all columns' `rhs`. The CPU backend
    computes these entries by tiles of rows and columns, the feature axis
    innermost (docs/architecture.md, "Long vectors"); other backends expand
    it as keops.dot. keops-recognize-gram forms it from the inner products
    of long vectors.
  }]>;
def Keops_SqDistOp : Keops_BinaryToScalarOp<"sqdist", "Squared Euclidean distance",
  "sum_k (a_k - b_k)^2. Not folded to 0 for equal operands: inf - inf is NaN.">;

def Keops_WeightedSqNormOp : Keops_Op<"weightedsqnorm", [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<KeopsDifferentiable>]> {
  let summary = "Squared norm with a weight: isotropic, diagonal or full";
  let description = [{
    With x of dimension D and w of dimension 1: w sum_k x_k^2; of dimension D:
    sum_k w_k x_k^2; of dimension D*D (row-major): sum_kl x_k w_kl x_l.
  }];
  let arguments = (ins Keops_Formula:$weight, Keops_Formula:$x);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = "$weight `,` $x attr-dict `:` type($weight) `,` type($x)";
}

def Keops_WeightedSqDistOp : Keops_Op<"weightedsqdist", [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<KeopsDifferentiable>,
                                                        AllTypesMatch<["x", "y"]>]> {
  let summary = "weightedsqnorm(w, x - y)";
  let arguments = (ins Keops_Formula:$weight, Keops_Formula:$x, Keops_Formula:$y);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = "$weight `,` $x `,` $y attr-dict `:` type($weight) `,` type($x)";
}

//===----------------------------------------------------------------------===//
// Shape-changing ops on the feature axis.
//===----------------------------------------------------------------------===//

def Keops_OneHotOp : Keops_Op<"one_hot", [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<KeopsDifferentiable>]> {
  let summary = "One-hot encoding of a scalar";
  let description = [{
    The vector of dimension `dim` with 1 at position round(x) and 0 elsewhere;
    all zeros when round(x) is out of range or x is NaN.
  }];
  let arguments = (ins Keops_Formula:$x, I64Attr:$dim);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = "$x `,` $dim attr-dict `:` type($x)";
  let hasFolder = 1;
}

def Keops_MatVecMultOp : Keops_Op<"matvecmult", [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<KeopsDifferentiable>]> {
  let summary = "Matrix-vector product";
  let description = [{
    A (dimension R*C, a row-major R x C matrix) times x (dimension C):
    a vector of dimension R.
  }];
  let arguments = (ins Keops_Formula:$matrix, Keops_Formula:$x);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = "$matrix `,` $x attr-dict `:` type($matrix) `,` type($x)";
}

def Keops_VecMatMultOp : Keops_Op<"vecmatmult", [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<KeopsDifferentiable>]> {
  let summary = "Vector-matrix product";
  let description = [{
    x (dimension R) times A (dimension R*C, row-major R x C): dimension C.
  }];
  let arguments = (ins Keops_Formula:$x, Keops_Formula:$matrix);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = "$x `,` $matrix attr-dict `:` type($x) `,` type($matrix)";
}

def Keops_TensorProdOp : Keops_Op<"tensorprod", [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<KeopsDifferentiable>]> {
  let summary = "Outer product";
  let description = "(a ⊗ b)[k * dim(b) + l] = a_k b_l.";
  let arguments = (ins Keops_Formula:$lhs, Keops_Formula:$rhs);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

def Keops_TensorDotOp : Keops_Op<"tensordot", [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<KeopsDifferentiable>]> {
  let summary = "Contraction of two tensors stored as vectors";
  let description = [{
    `lhs` is a row-major tensor of shape `lhs_shape`, `rhs` of shape
    `rhs_shape`. Axis `lhs_contract[k]` of lhs is contracted with axis
    `rhs_contract[k]` of rhs (equal extents). The result holds the free axes
    of lhs, then those of rhs, in order, row-major.
  }];
  let arguments = (ins Keops_Formula:$lhs, Keops_Formula:$rhs,
                       DenseI64ArrayAttr:$lhs_shape, DenseI64ArrayAttr:$rhs_shape,
                       DenseI64ArrayAttr:$lhs_contract,
                       DenseI64ArrayAttr:$rhs_contract);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `shapes` $lhs_shape `,` $rhs_shape
    `contract` $lhs_contract `,` $rhs_contract attr-dict
    `:` type($lhs) `,` type($rhs)
  }];
}

def Keops_KronOp : Keops_Op<"kron", [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<KeopsDifferentiable>]> {
  let summary = "Kronecker product of two tensors of equal rank";
  let description = [{
    `lhs` has shape `lhs_shape`, `rhs` shape `rhs_shape` (same rank). The
    result has shape lhs_shape[k] * rhs_shape[k] and entry
    lhs[a] * rhs[b] at multi-index a * rhs_shape + b.
  }];
  let arguments = (ins Keops_Formula:$lhs, Keops_Formula:$rhs,
                       DenseI64ArrayAttr:$lhs_shape, DenseI64ArrayAttr:$rhs_shape);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `shapes` $lhs_shape `,` $rhs_shape attr-dict
    `:` type($lhs) `,` type($rhs)
  }];
}

//===----------------------------------------------------------------------===//
// Index variables.
//===----------------------------------------------------------------------===//

def Keops_SelectIndexOp : Keops_Op<"select_index", [Pure,
    HasParent<"ReduceOp">, AllTypesMatch<["v", "result"]>,
    DeclareOpInterfaceMethods<KeopsDifferentiable>]> {
  let summary = "Keeps the components whose index equals the current i or j";
  let description = [{
    `keops.select_index %idx, %v : vector<D x iN>, vector<D x T>` is, component
    by component, `v[c]` where `idx[c]` equals the current index of the
    reduced axis (j in a reduction over j, i in one over i) and `+0.0`
    elsewhere. With `at i` or `at j` the index of that axis is used instead,
    whichever axis is reduced:

    ```mlir
    %g = keops.select_index %idx, %e at j : vector<3xi64>, vector<3xf32>
    ```

    `%idx` is an integer variable (a block argument of the enclosing
    `keops.reduce` with element type i32 or i64, typically the index output
    of an argmin / argmax / argkmin reduction); integer variables may be used
    by this op only. Values that are no index (negative, or past the last
    row) select nothing.

    It is a selection, not a product with a mask: a NaN or infinite `v[c]`
    gives exactly `+0.0` where it is not selected. The derivative with
    respect to `v` is the same selection of the cotangent; `idx` gets none.
    Gradients of min / argmin reductions use it: the gradient of
    `min_j F(x_i, y_j)` with respect to `x_i` is a sum over j of the
    selected terms, `select_index(idx_i, ...)`, and with respect to `y_j` a
    sum over i of `select_index(idx_i, ...) at j`.

    keops-expand-formulas leaves the op in place: backends lower it, since
    it needs the loop indices.
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I32, I64]>:$idx,
                       Keops_Formula:$v,
                       OptionalAttr<Keops_AxisAttr>:$axis);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = [{
    $idx `,` $v (`at` `` $axis^)? attr-dict `:` type($idx) `,` type($v)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The axis whose current index `idx` is compared with: the `at`
    /// attribute, else the reduced axis of the enclosing keops.reduce.
    Axis getComparedAxis();
  }];
}

//===----------------------------------------------------------------------===//
// Complex numbers. D complex numbers are a vector<2D x T> of interleaved
// (real, imaginary) pairs: the memory layout of complex64 and complex128
// arrays, so complex data reach kernels without a copy. Addition, subtraction
// and scaling by a real are those of the pairs (arith ops); real and
// imaginary parts, conversions from reals and broadcasts are vector.shuffle.
// These ops are what pairs of reals cannot say alone; each acts pair by pair.
//===----------------------------------------------------------------------===//

class Keops_ComplexOp<string mnemonic, list<Trait> traits = []>
    : Keops_Op<mnemonic, !listconcat(traits, [Pure,
                                          DeclareOpInterfaceMethods<KeopsDifferentiable>])>;

class Keops_ComplexBinaryOp<string mnemonic, string summ, string desc>
    : Keops_ComplexOp<mnemonic, [SameOperandsAndResultType]> {
  let summary = summ;
  let description = desc;
  let arguments = (ins Keops_ComplexFormula:$lhs, Keops_ComplexFormula:$rhs);
  let results = (outs Keops_ComplexFormula:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Keops_ComplexMulOp : Keops_ComplexBinaryOp<"cmul", "Complex product",
  "(a + ib)(c + id) = (ac - bd) + i(ad + bc), pair by pair.">;
def Keops_ComplexDivOp : Keops_ComplexBinaryOp<"cdiv", "Complex quotient",
  "(a + ib) / (c + id) = ((ac + bd) + i(bc - ad)) / (c^2 + d^2), pair by "
  "pair; a zero divisor gives NaN or infinities as the real division does.">;

class Keops_ComplexUnaryOp<string mnemonic, string summ, string desc>
    : Keops_ComplexOp<mnemonic, [SameOperandsAndResultType]> {
  let summary = summ;
  let description = desc;
  let arguments = (ins Keops_ComplexFormula:$x);
  let results = (outs Keops_ComplexFormula:$result);
  let assemblyFormat = "$x attr-dict `:` type($result)";
}

def Keops_ConjOp : Keops_ComplexUnaryOp<"conj", "Complex conjugate",
  "a + ib -> a - ib (the imaginary part negated, so +0 becomes -0).">;
def Keops_ComplexExpOp : Keops_ComplexUnaryOp<"cexp", "Complex exponential",
  "a + ib -> exp(a) cos(b) + i exp(a) sin(b).">;

class Keops_ComplexToRealOp<string mnemonic, string summ, string desc>
    : Keops_ComplexOp<mnemonic, [InferTypeOpAdaptor]> {
  let summary = summ;
  let description = desc;
  let arguments = (ins Keops_ComplexFormula:$x);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
}

def Keops_ComplexAbsOp : Keops_ComplexToRealOp<"cabs", "Modulus",
  "a + ib -> sqrt(a^2 + b^2): D complex numbers give D reals.">;
def Keops_ComplexAngleOp : Keops_ComplexToRealOp<"cangle", "Argument",
  "a + ib -> atan2(b, a), in [-pi, pi]: D complex numbers give D reals.">;

def Keops_ComplexSumOp : Keops_ComplexOp<"csum", [InferTypeOpAdaptor]> {
  let summary = "Sum of the complex components";
  let description = [{
    The D complex numbers of x summed into one: a vector<2 x T>. Real and
    imaginary parts are summed like keops.sum, from +0 in order.
  }];
  let arguments = (ins Keops_ComplexFormula:$x);
  let results = (outs Keops_ComplexFormula:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
}

//===----------------------------------------------------------------------===//
// Symbolic gradient.
//===----------------------------------------------------------------------===//

def Keops_GradOp : Keops_Op<"grad", [Pure, InferTypeOpAdaptor,
                                     AllTypesMatch<["value", "cotangent"]>]> {
  let summary = "Vector-Jacobian product of a formula";
  let description = [{
    `keops.grad %f wrt %v, %e` is (dF/dv)^T e, where F is the computation of
    `%f` from the formula's variables, `%v` one of those variables (a block
    argument of the enclosing `keops.reduce`) and `%e` has the type of `%f`.
    The result has the type of `%v`. The differentiation pass expands it into
    ordinary formula ops.
  }];
  let arguments = (ins Keops_Formula:$value, Keops_Formula:$variable,
                       Keops_Formula:$cotangent);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = [{
    $value `wrt` $variable `,` $cotangent attr-dict
    `:` type($value) `,` type($variable)
  }];
  let hasVerifier = 1;
}

def Keops_DiffOp : Keops_Op<"diff", [Pure, InferTypeOpAdaptor,
                                     AllTypesMatch<["variable", "tangent"]>]> {
  let summary = "Jacobian-vector product of a formula";
  let description = [{
    `keops.diff %f wrt %v, %t` is (dF/dv) t, the forward-mode derivative of
    the computation of `%f` from the formula's variables in the direction
    `%t` of the variable `%v` (a block argument of the enclosing
    `keops.reduce`; `%t` has the type of `%v`). The result has the type of
    `%f`. keops-expand-grad expands it with the ops' `jvp` rules.
  }];
  let arguments = (ins Keops_Formula:$value, Keops_Formula:$variable,
                       Keops_Formula:$tangent);
  let results = (outs Keops_Formula:$result);
  let assemblyFormat = [{
    $value `wrt` $variable `,` $tangent attr-dict
    `:` type($value) `,` type($variable)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Gradient of a reduction
//===----------------------------------------------------------------------===//

def Keops_ReduceGradOp : Keops_Op<"reduce_grad", [Pure]> {
  let summary = "Gradient of a reduction with respect to some of its inputs";
  let description = [{
    `keops.reduce_grad %r wrt [k, ...], %e` is the vector-Jacobian product
    of the reduction that computes `%r` with cotangent `%e` (the shape of
    `%r`): one result per listed input position `k` of that `keops.reduce`,
    with the type of that input. The other inputs are held constant.

    The positions `k` index the inputs of the reduction that computes `%r`;
    for a gradient computed by `keops.reduce_grad`, those are the inputs of
    its forward reduction followed by its cotangent.

    `%r` is the first result of a tensor-form `keops.reduce` (the values; the
    indices of min_argmin and friends get no cotangent), a column slice of
    one (`tensor.extract_slice` of whole rows), which is what
    `keops-differentiate` returns for a fused gradient, the gradient of a
    parameter that keops-differentiate built, or the result of another
    `keops.reduce_grad`: gradients can be differentiated again. The
    gradient of a logsumexp, sumsoftmaxweight, min, max or K-min reduction
    reads the forward's outputs as inputs; a second derivative with respect
    to x alone holds them constant, and the complete one adds the chain
    through those inputs (what an autograd system does by itself).

    `keops-differentiate` expands the op into new reductions; nothing of size
    M x N is ever formed:

    - an input indexed like the output rows (an `i` variable of a reduction
      over `j`) gets a reduction over the same axis;
    - an input indexed by the reduced axis gets a reduction over the other
      axis;
    - a parameter gets a reduction over the same axis of per-row partial
      gradients, then a reduction of those rows.

    Min, max and K-min kinds propagate the cotangent to the selected terms
    (the index outputs of the forward reduction); argmin, argmax and argkmin
    have a zero gradient.

    `saved(...)` gives the values of all the forward reduction's results,
    computed before (a backward pass that kept the forward's outputs): the
    gradient reductions read them instead of the forward reduction's
    results, which then needs no second run. Only for a `%r` that is the
    forward's first result itself; for min, max and K-min without indices
    the forward still runs once more, with indices.

    ```mlir
    %gx, %gb = keops.reduce_grad %out wrt [0, 2], %e
        : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>, tensor<?x1xf32>
    %gy = keops.reduce_grad %lse wrt [1], %e saved(%lse0 : tensor<?x1xf32>)
        : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$forward, DenseI64ArrayAttr:$wrt,
                       AnyRankedTensor:$cotangent,
                       Variadic<AnyRankedTensor>:$saved);
  let results = (outs Variadic<AnyRankedTensor>:$gradients);
  let assemblyFormat = [{
    $forward `wrt` $wrt `,` $cotangent (`saved` `(` $saved^ `:` type($saved) `)`)?
    attr-dict `:` type($forward) `,` type($cotangent) `->` type($gradients)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The reduction whose gradient this is, and the first column of the
    /// forward value within that reduction's first output (non-zero for a
    /// column slice). Null when the forward value has no such origin.
    std::pair<ReduceOp, int64_t> getForwardReduce();
    /// Whether the forward value is the gradient of a parameter that
    /// keops-differentiate built (a one-row sum of per-row partials of the
    /// reduction getForwardReduce() returns): its cotangent, a D-vector,
    /// applies to every row of those partials.
    bool isParameterGradient();
  }];
}

//===----------------------------------------------------------------------===//
// Sum over broadcast batch axes
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// States of partial reductions
//===----------------------------------------------------------------------===//

class Keops_StatesOp<string mnemonic, list<Trait> traits = []> :
    Keops_Op<mnemonic, traits # [AttrSizedOperandSegments]> {
  let hasVerifier = 1;
  code commonDeclarations = [{
    /// The formula's dimension D and its weight's E (0 without one), from
    /// the widths of the state arrays `states`.
    static ::mlir::FailureOr<std::pair<int64_t, int64_t>>
    stateDims(::mlir::Operation *op, ReductionKind kind, int64_t k,
              ::mlir::ValueRange states);
  }];
}

def Keops_MergeStatesOp : Keops_StatesOp<"merge_states"> {
  let summary = "The state of a reduction over the union of two ranges";
  let description = [{
    Row by row, writes into `outs` the state of the reduction `kind` over
    the reduced indices of both `first` and `second`, states of a
    `partial` keops.reduce (of that kind, with the layout of
    ReduceOp::getStateLayout) over disjoint sets of reduced indices. The
    merge is exact and commutative for the min, max and K-min kinds (ties
    go to the smaller index), and adds one rounding per value for sums,
    logsumexp and softmax (the sums of the two states, rescaled to their
    larger running maximum). Memref operands of equal row counts:
    `keops-outline-kernels{partial-states}` builds the kernels that run it.

    ```mlir
    keops.merge_states logsumexp ins(%m1, %s1 : memref<?x1xf32>, memref<?x1xf32>)
        and(%m2, %s2 : memref<?x1xf32>, memref<?x1xf32>)
        outs(%m, %s : memref<?x1xf32>, memref<?x1xf32>)
    ```
  }];
  let arguments = (ins Keops_ReductionKindAttr:$kind,
                       OptionalAttr<I64Attr>:$k,
                       Variadic<AnyMemRef>:$first,
                       Variadic<AnyMemRef>:$second,
                       Variadic<AnyMemRef>:$outs);
  let assemblyFormat = [{$kind (`k` `=` $k^)? `ins` `(` $first `:` type($first) `)`
    `and` `(` $second `:` type($second) `)`
    `outs` `(` $outs `:` type($outs) `)` attr-dict
  }];
  let extraClassDeclaration = commonDeclarations;
}

def Keops_FinalizeStatesOp : Keops_StatesOp<"finalize_states"> {
  let summary = "The outputs of a reduction from its states";
  let description = [{
    Row by row, writes into `outs` (the outputs of a keops.reduce of kind
    `kind`) the reduction's result from its state `ins` (the layout of
    ReduceOp::getStateLayout): a row whose state is empty gets the empty
    reduction (0 for a sum, +inf and index -1 for a min, ...).

    ```mlir
    keops.finalize_states argkmin k = 4 ins(%v, %i : memref<?x12xf32>, memref<?x12xi64>)
        outs(%out : memref<?x12xi64>)
    ```
  }];
  let arguments = (ins Keops_ReductionKindAttr:$kind,
                       OptionalAttr<I64Attr>:$k,
                       Variadic<AnyMemRef>:$ins,
                       Variadic<AnyMemRef>:$outs);
  let assemblyFormat = [{$kind (`k` `=` $k^)? `ins` `(` $ins `:` type($ins) `)`
    `outs` `(` $outs `:` type($outs) `)` attr-dict
  }];
  let extraClassDeclaration = commonDeclarations;
}

def Keops_UnbroadcastOp : Keops_Op<"unbroadcast", [Pure]> {
  let summary = "Sum of a batched array over the axes its result has of extent 1";
  let description = [{
    `keops.unbroadcast %g : tensor<?x?x5x3xf32> -> tensor<1x?x5x3xf32>`
    sums `%g` over every axis where the result has a static extent 1 and
    the operand does not; the other extents are the operand's. It is the
    adjoint of broadcasting: the gradient of a reduction with respect to an
    input broadcast along a batch axis (a static 1 in its type) is the sum,
    over that axis, of the gradient of every batch element, which
    keops-differentiate computes as one batched reduction followed by this
    op. The runtime and the interpreter run it outside kernels (its cost is
    linear in the size of `%g`, which has no M x N extent).

    ```mlir
    %gy = keops.unbroadcast %full : tensor<?x?x3xf32> -> tensor<1x?x3xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// Whether axis `axis` is summed: a static 1 in the result, not in the
    /// operand.
    bool isSummedAxis(int64_t axis);
  }];
}

#endif // KEOPS_OPS_TD
