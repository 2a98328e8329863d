//===- Tf32.h - rounding f32 values to TF32 ---------------------*- C++ -*-===//
//
// The tensor cores' TF32 operands, rounded the same way by the kernels'
// copies to shared memory and by the GPU emulator's cvt.rna.tf32.f32.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_CONVERSION_TF32_H
#define KEOPS_CONVERSION_TF32_H

#include "mlir/IR/Builders.h"

namespace mlir::keops {

/// `x` (f32, or a vector of f32) rounded to TF32 as cvt.rna.tf32.f32 does
/// (10 bits of mantissa, to nearest, ties away from zero), as f32 values,
/// by integer operations. NaNs are kept as they are (adding half an ulp
/// could carry into the sign).
Value roundToTf32(OpBuilder &b, Location loc, Value x);

} // namespace mlir::keops

#endif // KEOPS_CONVERSION_TF32_H
