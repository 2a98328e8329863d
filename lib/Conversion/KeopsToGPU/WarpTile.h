//===- WarpTile.h - warp tiles and their tensor-core Gram entries -*- C++ -*-===//
//
// The layout of the tensor cores' m16n8k8 products (GpuKernelShape.h,
// gpuUsesWarpTiles): a warp computes its 16 rows against 8 reduced indices
// at a time. Lane l (g = l / 4, t = l % 4) holds rows g and g + 8 and the
// columns 2t and 2t + 1 of each group of 8: four pairs a group.
//
// The keops.gram entries <a_i, b_j> of those 16 x 8 pairs are one chain of
// `nvvm.mma.sync` products over the feature axis, 8 components a step:
// the left operands (16 rows x 8 components, 4 values a lane) taken once
// per row before the loop, the right ones (8 components x 8 columns, 2
// values a lane) read from the shared tile. A sum over the feature axis
// may take its components in any order: steps 2u and 2u + 1 give lane t
// components 16 u + 4 t + [0, 4), so that its right operands of two steps
// are one 16-byte load (a warp's 32 loads of 8 rows 16 m bytes apart, m
// odd, fall in distinct banks). Operands are rounded to TF32 (10 bits of
// mantissa, to nearest, ties away from zero, as cvt.rna.tf32.f32) by
// integer operations that the GPU emulator runs alike, the right ones in
// the copy to the tile when nothing else reads them; products are
// accumulated in f32. Feature axes are padded with zeros to a multiple of
// 16.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_CONVERSION_KEOPSTOGPU_WARPTILE_H
#define KEOPS_CONVERSION_KEOPSTOGPU_WARPTILE_H

#include "SharedTile.h"

#include "keops/Conversion/Accumulators.h"

namespace mlir::keops {

class WarpTile {
public:
  /// The lane's coordinates, from the thread id `tid`.
  WarpTile(OpBuilder &b, Location loc, Value tid);

  /// Row r (0 or 1) of the thread: first + 16 warp + g + 8 r.
  Value row(OpBuilder &b, Location loc, Value first, int64_t r) const;
  /// Column e (0 or 1) of the thread in the group starting at `base`.
  Value column(OpBuilder &b, Location loc, Value base, int64_t e) const;
  /// Whether the lane is the first of the four that share its rows.
  Value leadsRow(OpBuilder &b, Location loc) const;

  /// Plans the keops.gram entries of `op` on the tensor cores: all of them
  /// when their operands are f32, else none (false). Left operands of at
  /// most kMaxLeftComponents components in all are taken into registers
  /// once; longer ones must be kept variables, read from their arrays for
  /// each group (L1 hits). Must be called before the shared tile is made.
  bool plan(ReduceOp op);
  /// The most components of left operands held in registers.
  static constexpr int64_t kMaxLeftComponents = 128;
  bool empty() const { return grams.empty(); }
  /// The formula's values the pairs read from the tile, with the planned
  /// entries computed by products (only what they need of it).
  llvm::DenseSet<Value> tileValuesRead(const SharedTile &tile) const;
  /// The formula ops a pair evaluates: those the yield needs that the
  /// products and the tile do not give.
  llvm::DenseSet<Operation *> pairOps(const SharedTile &tile) const;
  /// The right operands that the copy to the tile may round to TF32 (no
  /// pair reads them but the products), among `tileValuesRead`'s
  /// complement: the products then read them as they are.
  llvm::DenseSet<Value>
  roundInTile(const llvm::DenseSet<Value> &tileValuesRead);

  /// Takes the left operands' fragments of the thread's rows `keptRows`
  /// (read from the kept variables' arrays when the operand is one, else
  /// from its value in `rowMaps`), or, read from memory, the rows.
  void loadLeft(OpBuilder &b, Location loc, ArrayRef<Value> keptRows,
                ArrayRef<IRMapping> rowMaps);
  /// Maps, in `pairMaps[2 r + e]`, each planned entry to its value for row
  /// r and column e of the group of 8 starting at tile row `base`.
  void multiply(OpBuilder &b, Location loc, const SharedTile &tile,
                Value base, MutableArrayRef<IRMapping> pairMaps) const;

  /// The state of a row over the indices of the four lanes that share it
  /// (each lane's `state` merged with the others' by shuffles).
  SmallVector<Value> mergeRow(OpBuilder &b, Location loc,
                              const Accumulator &acc, ValueRange state) const;

private:
  /// The left operands' TF32 bits of steps 2u and 2u + 1 (a0..a3 of each),
  /// read from the kept array `mem` of `dim` components.
  SmallVector<Value> leftFromMemory(OpBuilder &b, Location loc, Value mem,
                                    int64_t u, int64_t dim) const;

  struct Entry {
    mutable GramOp gram; // an op handle: its accessors are not const
    int64_t dim = 0;
    bool roundedInTile = false;
    Value leftMem; // the kept variable's array, if the operand is one
    /// Per step of 8 components: a0..a3 as TF32 bits (i32).
    SmallVector<std::array<Value, 4>> left;
  };
  mutable ReduceOp op;
  Value warp, g, t;
  SmallVector<Entry> grams;
  /// Left operands read from memory for each group: their rows.
  bool leftInMemory = false;
  SmallVector<Value, 2> leftRows;
};

} // namespace mlir::keops

#endif // KEOPS_CONVERSION_KEOPSTOGPU_WARPTILE_H
