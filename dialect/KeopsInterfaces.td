//===- KeopsInterfaces.td - interfaces of the keops dialect -*- tablegen -*-===//

#ifndef KEOPS_INTERFACES_TD
#define KEOPS_INTERFACES_TD

include "mlir/IR/OpBase.td"

def KeopsDifferentiable : OpInterface<"KeopsDifferentiable"> {
  let cppNamespace = "::mlir::keops";
  let description = [{
    Derivative rules of a formula op, written as ordinary formula ops (keops
    ops included) at the builder's insertion point. `keops-expand-grad` uses
    `vjp` for reverse-mode accumulation. Piecewise-constant ops (sign, step,
    round, cmp, argmax, argmin, one_hot, floor, ceil, cmpf...) have a zero
    derivative almost everywhere: their `vjp` returns null cotangents and
    their `jvp` a null (zero) tangent.
  }];
  let methods = [
    InterfaceMethod<[{
        Vector-Jacobian product: given one cotangent per result (a null Value
        for a zero cotangent), returns one cotangent per operand, a null Value
        where the operand gets no gradient. An empty vector means that the
        rule does not cover this instance of the op (the caller reports it).
      }],
      "::llvm::SmallVector<::mlir::Value>", "vjp",
      (ins "::mlir::OpBuilder &":$builder,
           "::llvm::ArrayRef<::mlir::Value>":$cotangentsOfResults)>,
    InterfaceMethod<[{
        Jacobian-vector product: given one tangent per operand (a null Value
        means zero), returns the tangent of the result, null when it is zero.
      }],
      "::mlir::Value", "jvp",
      (ins "::mlir::OpBuilder &":$builder,
           "::llvm::ArrayRef<::mlir::Value>":$tangentsOfOperands)>,
  ];
}

#endif // KEOPS_INTERFACES_TD
