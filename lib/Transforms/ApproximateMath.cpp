//===- ApproximateMath.cpp - polynomial elementary functions -------------===//
//
// math.exp and friends on f32 become polynomials of arith ops, which LLVM
// vectorizes; libm calls would be scalar. About 12x faster for exp on the
// CPU, and on the GPU it removes the need for libdevice.
//
//===----------------------------------------------------------------------===//

#include "keops/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::keops {
#define GEN_PASS_DEF_KEOPSAPPROXIMATEMATH
#include "KeopsPasses.h.inc"
} // namespace mlir::keops

using namespace mlir;

namespace {
struct KeopsApproximateMath
    : mlir::keops::impl::KeopsApproximateMathBase<KeopsApproximateMath> {
  using KeopsApproximateMathBase::KeopsApproximateMathBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (!gpu) {
      populateMathPolynomialApproximationPatterns(patterns);
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
      markFastMath(/*gpu=*/false);
      return;
    }
    auto others = [](StringRef name) {
      return name != math::ExpOp::getOperationName() &&
             name != math::LogOp::getOperationName();
    };
    populateMathF32ExpansionPatterns(patterns, others);
    populateMathPolynomialApproximationPatterns(patterns, others);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // exp(x) = exp2(x log2(e)): with the product marked `reassoc`, as the
    // product that usually computes x (a squared distance times a scale),
    // LLVM folds the two constants' products into one, computed once.
    SmallVector<math::ExpOp> exps;
    getOperation()->walk([&](math::ExpOp op) {
      if (getElementTypeOrSelf(op.getType()).isF32())
        exps.push_back(op);
    });
    for (math::ExpOp op : exps) {
      OpBuilder b(op);
      auto reassoc = arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;
      if (auto mul = op.getOperand().getDefiningOp<arith::MulFOp>();
          mul && mul->hasOneUse())
        mul.setFastmath(mul.getFastmath() | reassoc);
      Value log2e = arith::ConstantOp::create(
          b, op.getLoc(), DenseElementsAttr::get(
                              cast<ShapedType>(op.getType()),
                              b.getF32FloatAttr(1.4426950408889634f)));
      Value scaled = arith::MulFOp::create(b, op.getLoc(), op.getOperand(),
                                           log2e, reassoc);
      op.replaceAllUsesWith(math::Exp2Op::create(
          b, op.getLoc(), scaled, arith::FastMathFlags::afn).getResult());
      op.erase();
    }
    markFastMath(/*gpu=*/true);
  }

  /// On the GPU, exp2 and log keep their ops, marked `afn`: the lowering
  /// turns them into its fast instructions (ex2.approx, lg2.approx), cheaper
  /// than any polynomial. On both targets, additions, subtractions and
  /// products (the polynomials' too) are marked `contract`, so that they
  /// fuse into FMAs. Only flags change, hence a walk.
  void markFastMath(bool gpu) {
    getOperation()->walk([gpu](Operation *op) {
      auto fm = dyn_cast<arith::ArithFastMathInterface>(op);
      if (!fm || !getElementTypeOrSelf(op->getResult(0).getType()).isF32())
        return;
      arith::FastMathFlags flag;
      if (gpu && isa<math::Exp2Op, math::LogOp>(op))
        flag = arith::FastMathFlags::afn;
      else if (isa<arith::AddFOp, arith::SubFOp, arith::MulFOp>(op))
        flag = arith::FastMathFlags::contract;
      else if (auto r = dyn_cast<vector::ReductionOp>(op);
               r && r.getKind() == vector::CombiningKind::ADD)
        // Sums over the feature axis (dot products, squared norms): their
        // products fuse in too, and the lowering's +0.0 start value, which
        // only turns a sum of -0.0 into +0.0, goes away (nsz).
        flag = arith::FastMathFlags::contract | arith::FastMathFlags::nsz;
      else
        return;
      op->setAttr(fm.getFastMathAttrName(),
                  arith::FastMathFlagsAttr::get(
                      op->getContext(),
                      fm.getFastMathFlagsAttr().getValue() | flag));
    });
  }
};
} // namespace
