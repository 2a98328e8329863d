//===- RecognizeGram.cpp - inner products of long vectors as Gram entries -===//
//
// A formula that compares x_i and y_j through inner products over a long
// feature axis (dot, squared distances, diagonal weighted distances) does
// D multiply-adds per pair in that product and little else: the structure
// of a matrix product A B^T with an element-wise epilogue. The pass makes
// that structure explicit: the inner product becomes keops.gram (computed
// by the CPU backend with matrix-multiply tiles) and the squared norms,
// which depend on one side only, become values the backends evaluate once
// per row or column.
//
//===----------------------------------------------------------------------===//

#include "keops/Transforms/Passes.h"

#include "llvm/ADT/TypeSwitch.h"

namespace mlir::keops {
#define GEN_PASS_DEF_KEOPSRECOGNIZEGRAM
#include "KeopsPasses.h.inc"
} // namespace mlir::keops

using namespace mlir;
using namespace mlir::keops;

namespace {

/// Rewrites the inner products of one formula.
class GramRewriter {
public:
  GramRewriter(ReduceOp reduce, int64_t minDim)
      : sides(reduce.getSides()), minDim(minDim) {}

  void run(Block &body) {
    SmallVector<Operation *> ops;
    for (Operation &op : body.without_terminator())
      ops.push_back(&op);
    for (Operation *op : ops) {
      OpBuilder b(op);
      Value replacement =
          llvm::TypeSwitch<Operation *, Value>(op)
              .Case([&](DotOp d) { return dot(b, d.getLhs(), d.getRhs()); })
              .Case([&](SqDistOp d) {
                return sqdist(b, d.getLhs(), d.getRhs(), Value());
              })
              .Case([&](SqNorm2Op n) {
                auto diff = n.getX().getDefiningOp<arith::SubFOp>();
                return diff ? sqdist(b, diff.getLhs(), diff.getRhs(), Value())
                            : Value();
              })
              .Case([&](SumOp s) -> Value {
                // sum(a * b) and sum((a - b) * (a - b)), as written by
                // (x * y).sum(-1) and ((x - y) ** 2).sum(-1).
                auto product = s.getX().getDefiningOp<arith::MulFOp>();
                if (!product)
                  return Value();
                auto diff = product.getLhs().getDefiningOp<arith::SubFOp>();
                if (diff && product.getLhs() == product.getRhs())
                  return sqdist(b, diff.getLhs(), diff.getRhs(), Value());
                return dot(b, product.getLhs(), product.getRhs());
              })
              .Case([&](WeightedSqDistOp d) {
                return sqdist(b, d.getX(), d.getY(), d.getWeight());
              })
              .Case([&](WeightedSqNormOp n) {
                auto diff = n.getX().getDefiningOp<arith::SubFOp>();
                return diff ? sqdist(b, diff.getLhs(), diff.getRhs(),
                                     n.getWeight())
                            : Value();
              })
              .Default([](Operation *) { return Value(); });
      if (!replacement)
        continue;
      sides[replacement] = sides.lookup(op->getResult(0));
      op->getResult(0).replaceAllUsesWith(replacement);
      // The products and differences it read, when nothing else reads them.
      Operation *operand = op->getOperand(op->getNumOperands() - 1).getDefiningOp();
      op->erase();
      while (isa_and_nonnull<arith::MulFOp, arith::SubFOp>(operand) &&
             operand->use_empty()) {
        Operation *next = operand->getOperand(0).getDefiningOp();
        operand->erase();
        operand = next;
      }
    }
  }

private:
  llvm::DenseMap<Value, unsigned> sides;
  int64_t minDim;

  /// Orders (a, b) as (kept side, reduced side); false when they are not
  /// two long vectors, one of each side.
  bool pairUp(Value &a, Value &b) {
    if (cast<VectorType>(a.getType()).getDimSize(0) < minDim)
      return false;
    auto onlyKept = [&](Value v) {
      return sides.lookup(v) == ReduceOp::KeptSide;
    };
    auto onlyReduced = [&](Value v) {
      return sides.lookup(v) == ReduceOp::ReducedSide;
    };
    if (onlyReduced(a) && onlyKept(b))
      std::swap(a, b);
    return onlyKept(a) && onlyReduced(b);
  }

  Value dot(OpBuilder &b, Value x, Value y) {
    if (!pairUp(x, y))
      return Value();
    return GramOp::create(b, x.getLoc(), x, y);
  }

  /// relu(|x|^2_w + |y|^2_w - 2 <w x, y>), with the weight w of dimension 1
  /// or D (null: unweighted) that depends on no variable.
  Value sqdist(OpBuilder &b, Value x, Value y, Value w) {
    if (!pairUp(x, y))
      return Value();
    Location loc = x.getLoc();
    int64_t wDim = w ? cast<VectorType>(w.getType()).getDimSize(0) : 0;
    int64_t d = cast<VectorType>(x.getType()).getDimSize(0);
    if (w && (sides.lookup(w) != ReduceOp::NoSide || (wDim != 1 && wDim != d)))
      return Value();
    // An isotropic weight scales the unweighted distance.
    Value diag = wDim == d ? w : Value();
    auto norm = [&](Value v) -> Value {
      return diag ? Value(WeightedSqNormOp::create(b, loc, diag, v))
                  : Value(SqNorm2Op::create(b, loc, v));
    };
    Value nx = norm(x), ny = norm(y);
    Value wx = diag ? Value(arith::MulFOp::create(b, loc, diag, x)) : x;
    Value g = GramOp::create(b, loc, wx, y);
    Value sum = arith::AddFOp::create(b, loc, nx, ny);
    Value twice = arith::AddFOp::create(b, loc, g, g);
    Value dist =
        ReluOp::create(b, loc, arith::SubFOp::create(b, loc, sum, twice));
    return wDim == 1 && d != 1 ? Value(arith::MulFOp::create(b, loc, w, dist))
                               : dist;
  }
};

struct KeopsRecognizeGramPass
    : mlir::keops::impl::KeopsRecognizeGramBase<KeopsRecognizeGramPass> {
  using KeopsRecognizeGramBase::KeopsRecognizeGramBase;

  void runOnOperation() override {
    getOperation()->walk([&](ReduceOp reduce) {
      GramRewriter(reduce, std::max<int64_t>(minDim, 1))
          .run(reduce.getFormula().front());
    });
  }
};

} // namespace
