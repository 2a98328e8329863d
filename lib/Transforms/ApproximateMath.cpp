//===- ApproximateMath.cpp - polynomial elementary functions -------------===//
//
// math.exp and friends on f32 become polynomials of arith ops, which LLVM
// vectorizes; libm calls would be scalar. About 12x faster for exp on the
// CPU, and on the GPU it removes the need for libdevice.
//
//===----------------------------------------------------------------------===//

#include "keops/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

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

/// f32 exp(x) of an argument known to be <= 0 (the `keops.nonpositive`
/// attribute, set by the log-sum-exp accumulator on exp(f - max)): without
/// the clamps and the overflow path of the general approximation. k =
/// round(x log2 e), r = x - k ln 2 in two parts (Cody-Waite: exact), e^r by
/// its Taylor polynomial of degree 7 (|r| <= ln2 / 2: 7e-9 relative), times
/// 2^k from k's exponent bits. x is first raised to -88, where k = -127
/// gives 2^k bits of 0, so exp(-inf) and every underflow are exactly 0 (no
/// subnormals). In the CPU kernels' machine code: 16 instructions instead of
/// 22 (constant loads included).
struct NonPositiveExp : OpRewritePattern<math::ExpOp> {
  NonPositiveExp(MLIRContext *ctx) : OpRewritePattern(ctx, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(math::ExpOp op,
                                PatternRewriter &rw) const override {
    Type type = op.getType();
    if (!op->hasAttr("keops.nonpositive") ||
        !getElementTypeOrSelf(type).isF32())
      return failure();
    Location loc = op.getLoc();
    Type intType = IntegerType::get(rw.getContext(), 32);
    if (auto vt = dyn_cast<VectorType>(type))
      intType = VectorType::get(vt.getShape(), intType);
    auto f = [&](double v) -> Value {
      Attribute a = rw.getF32FloatAttr(static_cast<float>(v));
      if (auto vt = dyn_cast<VectorType>(type))
        a = DenseElementsAttr::get(vt, a);
      return arith::ConstantOp::create(rw, loc, type, cast<TypedAttr>(a));
    };
    auto i = [&](int32_t v) -> Value {
      Attribute a = rw.getI32IntegerAttr(v);
      if (auto vt = dyn_cast<VectorType>(intType))
        a = DenseElementsAttr::get(vt, a);
      return arith::ConstantOp::create(rw, loc, intType, cast<TypedAttr>(a));
    };
    Value x = op.getOperand();
    Value low = f(-88.0);
    x = arith::SelectOp::create(
        rw, loc,
        arith::CmpFOp::create(rw, loc, arith::CmpFPredicate::OLT, x, low), low,
        x);
    Value k = math::RoundEvenOp::create(
        rw, loc, arith::MulFOp::create(rw, loc, x, f(1.4426950408889634)));
    Value r = math::FmaOp::create(rw, loc, k, f(-0.693359375), x);
    r = math::FmaOp::create(rw, loc, k, f(2.12194440e-4), r);
    Value p = f(1.0 / 5040);
    for (double c : {1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1.0, 1.0})
      p = math::FmaOp::create(rw, loc, p, r, f(c));
    Value bits = arith::ShLIOp::create(
        rw, loc,
        arith::AddIOp::create(rw, loc,
                              arith::FPToSIOp::create(rw, loc, intType, k),
                              i(127)),
        i(23));
    Value scale = arith::BitcastOp::create(rw, loc, type, bits);
    rw.replaceOpWithNewOp<arith::MulFOp>(op, p, scale);
    return success();
  }
};

struct KeopsApproximateMath
    : mlir::keops::impl::KeopsApproximateMathBase<KeopsApproximateMath> {
  using KeopsApproximateMathBase::KeopsApproximateMathBase;

  void runOnOperation() override {
    if (nvvm)
      return useNvvmExp2();
    RewritePatternSet patterns(&getContext());
    if (!gpu) {
      patterns.add<NonPositiveExp>(&getContext());
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
    // Subnormal f32 values flush to zero, as CPU kernels under approximate
    // math do (FTZ/DAZ): the kernels' f32 instructions take their .ftz forms
    // (ex2.approx.ftz needs no range fix-up around it). The lowering to
    // NVVM carries the attribute to the llvm.func.
    getOperation()->walk([](gpu::GPUFuncOp fn) {
      fn->setAttr("denormal_fp_math_f32",
                  StringAttr::get(fn.getContext(), "preserve-sign"));
    });
  }

  /// f32 exp2 (afn) as llvm.nvvm.ex2.approx.ftz.f32, one call per
  /// component of a vector.
  void useNvvmExp2() {
    SmallVector<math::Exp2Op> exp2s;
    getOperation()->walk([&](math::Exp2Op op) {
      if (getElementTypeOrSelf(op.getType()).isF32() &&
          bitEnumContainsAll(op.getFastmath(), arith::FastMathFlags::afn))
        exp2s.push_back(op);
    });
    for (math::Exp2Op op : exp2s) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      auto ex2 = [&](Value x) -> Value {
        return LLVM::CallIntrinsicOp::create(
                   b, loc, b.getF32Type(),
                   b.getStringAttr("llvm.nvvm.ex2.approx.ftz.f32"),
                   ValueRange{x})
            .getResult(0);
      };
      auto type = dyn_cast<VectorType>(op.getType());
      if (!type) {
        op.replaceAllUsesWith(ex2(op.getOperand()));
      } else {
        if (type.getRank() != 1 || type.isScalable())
          continue;
        SmallVector<Value> parts;
        for (int64_t k = 0; k < type.getDimSize(0); ++k)
          parts.push_back(ex2(vector::ExtractOp::create(
              b, loc, op.getOperand(), ArrayRef<int64_t>{k})));
        op.replaceAllUsesWith(
            vector::FromElementsOp::create(b, loc, type, parts).getResult());
      }
      op.erase();
    }
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
