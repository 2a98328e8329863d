//===- KeopsDialect.td - keops dialect and its attributes --*- tablegen -*-===//
//
// The keops dialect describes reductions of symbolic matrices: a matrix
// M[i, j] = F(x_i, y_j, p) given by a formula F that is never stored, reduced
// over i or over j.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_DIALECT_TD
#define KEOPS_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Keops_Dialect : Dialect {
  let name = "keops";
  let cppNamespace = "::mlir::keops";
  let summary = "Reductions of symbolic matrices given by formulas";
  let description = [{
    A `keops.reduce` op reduces the symbolic matrix `M[i, j] = F(x_i, y_j, p)`
    over one of its two axes. The formula `F` is the op's region: its block
    arguments are the values of the variables for one pair `(i, j)`, each a
    `vector<D x f16|f32|f64>` (or `vector<D x i32|i64>` for an index variable,
    which only `keops.select_index` reads), and its terminator `keops.yield`
    returns the value of `F` for that pair. Inside a formula, pointwise arithmetic and
    elementary functions use the upstream `arith` and `math` dialects,
    broadcasting and slicing use the `vector` dialect, and everything specific
    to symbolic matrices (norms and distances, reductions over the feature
    axis, tensor products, KeOps' special functions, symbolic gradients) is a
    `keops` op.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasCanonicalizer = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

//===----------------------------------------------------------------------===//
// Enumerations
//===----------------------------------------------------------------------===//

def Keops_Category : I32EnumAttr<"Category", "variable category", [
    I32EnumAttrCase<"I", 0, "i">,
    I32EnumAttrCase<"J", 1, "j">,
    I32EnumAttrCase<"P", 2, "p">
  ]> {
  let cppNamespace = "::mlir::keops";
  let genSpecializedAttr = 0;
  let description = [{
    `i`: one value per row index (an M x D array); `j`: one value per column
    index (an N x D array); `p`: a parameter shared by every pair (a D-vector).
  }];
}
def Keops_CategoryAttr : EnumAttr<Keops_Dialect, Keops_Category, "category">;
def Keops_CategoryArrayAttr :
    TypedArrayAttrBase<Keops_CategoryAttr, "array of variable categories">;

def Keops_Axis : I32EnumAttr<"Axis", "reduction axis", [
    I32EnumAttrCase<"I", 0, "i">,
    I32EnumAttrCase<"J", 1, "j">
  ]> {
  let cppNamespace = "::mlir::keops";
  let genSpecializedAttr = 0;
}
def Keops_AxisAttr : EnumAttr<Keops_Dialect, Keops_Axis, "axis">;

def Keops_ReductionKind : I32EnumAttr<"ReductionKind", "reduction kind", [
    I32EnumAttrCase<"Sum", 0, "sum">,
    I32EnumAttrCase<"Min", 1, "min">,
    I32EnumAttrCase<"Max", 2, "max">,
    I32EnumAttrCase<"ArgMin", 3, "argmin">,
    I32EnumAttrCase<"ArgMax", 4, "argmax">,
    I32EnumAttrCase<"MinArgMin", 5, "min_argmin">,
    I32EnumAttrCase<"MaxArgMax", 6, "max_argmax">,
    I32EnumAttrCase<"KMin", 7, "kmin">,
    I32EnumAttrCase<"ArgKMin", 8, "argkmin">,
    I32EnumAttrCase<"KMinArgKMin", 9, "kmin_argkmin">,
    I32EnumAttrCase<"LogSumExp", 10, "logsumexp">,
    I32EnumAttrCase<"SumSoftmaxWeight", 11, "sumsoftmaxweight">
  ]> {
  let cppNamespace = "::mlir::keops";
  let genSpecializedAttr = 0;
}
def Keops_ReductionKindAttr :
    EnumAttr<Keops_Dialect, Keops_ReductionKind, "kind">;

def Keops_CmpPredicate : I32EnumAttr<"CmpPredicate", "comparison", [
    I32EnumAttrCase<"LT", 0, "lt">,
    I32EnumAttrCase<"LE", 1, "le">,
    I32EnumAttrCase<"GT", 2, "gt">,
    I32EnumAttrCase<"GE", 3, "ge">,
    I32EnumAttrCase<"EQ", 4, "eq">,
    I32EnumAttrCase<"NE", 5, "ne">
  ]> {
  let cppNamespace = "::mlir::keops";
  let genSpecializedAttr = 0;
}
def Keops_CmpPredicateAttr :
    EnumAttr<Keops_Dialect, Keops_CmpPredicate, "predicate">;

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

// The value of a formula for one (i, j) pair.
def Keops_Formula : VectorOfRankAndType<[1], [F16, F32, F64]>;

// A formula value holding complex numbers: D complex numbers as a
// vector<2D x T> of interleaved (real, imaginary) pairs.
def Keops_ComplexFormula : Type<
    And<[Keops_Formula.predicate,
         CPred<"::llvm::cast<::mlir::VectorType>($_self).getDimSize(0) % 2 == 0">]>,
    "vector of (real, imaginary) pairs of 16-bit, 32-bit or 64-bit floats "
    "(even length)",
    "::mlir::VectorType">;

#endif // KEOPS_DIALECT_TD
