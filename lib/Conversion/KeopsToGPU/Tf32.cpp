//===- Tf32.cpp - rounding f32 values to TF32 -----------------------------===//

#include "keops/Conversion/Tf32.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

Value mlir::keops::roundToTf32(OpBuilder &b, Location loc, Value x) {
  Type i32 = b.getI32Type();
  Type bitsType = i32;
  if (auto vt = dyn_cast<VectorType>(x.getType()))
    bitsType = vt.clone(i32);
  auto splat = [&](int32_t v) {
    Attribute attr = b.getI32IntegerAttr(v);
    if (auto vt = dyn_cast<VectorType>(bitsType))
      attr = DenseElementsAttr::get(vt, attr);
    return arith::ConstantOp::create(b, loc, bitsType, cast<TypedAttr>(attr))
        .getResult();
  };
  Value bits = arith::BitcastOp::create(b, loc, bitsType, x);
  Value rounded = arith::AndIOp::create(
      b, loc, arith::AddIOp::create(b, loc, bits, splat(0x1000)),
      splat(int32_t(0xffffe000u)));
  Value nan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
  return arith::BitcastOp::create(
      b, loc, x.getType(), arith::SelectOp::create(b, loc, nan, bits, rounded));
}
