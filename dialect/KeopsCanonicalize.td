//===- KeopsCanonicalize.td - declarative keops rewrites ---*- tablegen -*-===//
//
// Rewrites that replace a formula by one with exactly the same IEEE semantics
// and a cheaper or more canonical form. Nothing here may change a result for
// NaN, inf or signed zeros.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_CANONICALIZE_TD
#define KEOPS_CANONICALIZE_TD

include "mlir/IR/PatternBase.td"
include "mlir/Dialect/Arith/IR/ArithOps.td"
include "mlir/Dialect/Math/IR/MathOps.td"
include "KeopsOps.td"

def HasOneUse : Constraint<CPred<"$0.hasOneUse()">, "has one use">;
def NoFastMath : Constraint<
  CPred<"$0.getValue() == ::mlir::arith::FastMathFlags::none">, "no fast-math">;

// sqrt(sqnorm2(x)) is norm2(x) by definition.
def SqrtOfSqNorm2 : Pat<(Math_SqrtOp (Keops_SqNorm2Op:$n $x), $fm),
                        (Keops_Norm2Op $x),
                        [(HasOneUse $n), (NoFastMath $fm)]>;

// <x, x> and |x|^2 perform the same products and sums.
def DotSelf : Pat<(Keops_DotOp $x, $x), (Keops_SqNorm2Op $x)>;

// |a - b|^2 is sqdist(a, b) by definition.
def SqNorm2OfDiff : Pat<(Keops_SqNorm2Op (Arith_SubFOp:$d $a, $b, $fm)),
                        (Keops_SqDistOp $a, $b),
                        [(HasOneUse $d), (NoFastMath $fm)]>;

// relu and sign are idempotent (NaN maps to NaN in both).
def ReluOfRelu : Pat<(Keops_ReluOp (Keops_ReluOp:$r $x)), (replaceWithValue $r)>;
def SignOfSign : Pat<(Keops_SignOp (Keops_SignOp:$s $x)), (replaceWithValue $s)>;

#endif // KEOPS_CANONICALIZE_TD
