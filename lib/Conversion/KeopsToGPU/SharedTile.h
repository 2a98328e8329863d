//===- SharedTile.h - the reduced rows a block of threads shares -*- C++ -*-===//
//
// The tile of the reduced variables in shared memory: one workgroup array per
// element type, `size` rows, each row holding the reduced variables of one
// index one after the other. A row is padded to an odd number of 16-byte
// words: a pair reads its row with 16-byte loads (every thread of a warp
// reads the same row, a broadcast), and a warp's 16-byte stores of
// consecutive rows, 16 m bytes apart with m odd, fall in distinct banks.
//
// The formula's values of the reduced side only (|y_j|^2 of an expanded
// squared distance, exp(g_j), ...) that pair ops read are computed by the
// thread that copies the row and stored after the variables: once per index
// and block instead of once per pair.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_CONVERSION_KEOPSTOGPU_SHAREDTILE_H
#define KEOPS_CONVERSION_KEOPSTOGPU_SHAREDTILE_H

#include "keops/Dialect/Keops.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::keops {

/// vector<D x T> of row `row` of a rows x D memref (or of a D memref), read
/// with the alignment of T.
Value loadRow(OpBuilder &b, Location loc, Value mem, Value row);


class SharedTile {
public:
  /// Adds the workgroup arrays of `op`'s reduced variables to `fn`: at most
  /// `blockSize` rows, fewer when they would not fit in `sharedBytes`, a
  /// multiple of `rowMultiple`.
  static FailureOr<SharedTile> create(ReduceOp op, gpu::GPUFuncOp fn,
                                      int64_t blockSize, int64_t sharedBytes,
                                      int64_t rowMultiple = 1);

  /// Rows in the tile.
  int64_t size() const { return rows; }

  /// Rounds the values of `values` (f32) to TF32 in the copy (the tensor
  /// cores' right operands that nothing else reads).
  void roundToTf32(llvm::DenseSet<Value> values) { tf32 = std::move(values); }

  /// Copies row `src` of every reduced variable into row `at` of the tile,
  /// with the derived values; `outer` maps the parameters (and the formula
  /// values of parameters alone) to their values in the kernel.
  void store(OpBuilder &b, Location loc, Value src, Value at,
             const IRMapping &outer) const;

  /// Maps the formula's reduced arguments to their values in row `at`.
  void load(OpBuilder &b, Location loc, Value at, IRMapping &map) const;
  /// The same for the values of `only` alone, each read apart.
  void load(OpBuilder &b, Location loc, Value at, IRMapping &map,
            const llvm::DenseSet<Value> &only) const;

  /// The values a row holds: the reduced arguments and derived values.
  SmallVector<Value> values() const;
  /// The array holding `v` (a value of values()) and its offset in a row.
  std::pair<Value, int64_t> locate(Value v) const;

private:
  struct Array {
    Type elementType;
    Value mem;
    /// Values of a row the variables and derived values fill, rounded up to
    /// 16 bytes: what a pair loads.
    int64_t loaded = 0;
    /// (operand index of a reduced variable, its offset in the row).
    SmallVector<std::pair<unsigned, int64_t>> vars;
    /// (a reduced-side formula value, its offset in the row).
    SmallVector<std::pair<Value, int64_t>> derived;
  };
  /// The formula ops the copy evaluates for the derived values, in order.
  SmallVector<Operation *> copyOps;
  llvm::DenseSet<Value> tf32;

  mutable ReduceOp op;  // an op handle: its accessors are not const
  int64_t rows = 0;
  SmallVector<Array> arrays;
};

} // namespace mlir::keops

#endif // KEOPS_CONVERSION_KEOPSTOGPU_SHAREDTILE_H
