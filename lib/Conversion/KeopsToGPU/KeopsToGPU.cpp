//===- KeopsToGPU.cpp - the 1-D GPU scheme for keops.reduce ---------------===//
//
// A memref-form reduction inside a gpu.func (keops-outline-kernels{gpu})
// becomes one thread per output row:
//
//   row = block_id.x * B + thread_id.x               B: the block size
//   kept variables of row min(row, rows - 1)         -> registers, vector<D>
//   formula ops of parameters and kept variables     -> once, before the loop
//   for t in [0, cols) step T:                       tiles of the reduced axis
//     thread k < T copies row t + k of the reduced variables to shared
//     memory, packed in one row (SharedTile.h)
//     barrier
//     for j in [t, min(t + T, cols)): F(...) folded into the accumulator
//     barrier
//   finalize; row < rows: write the output row
//
// The 2-D scheme splits the reduced axis into chunks too: `_part` kernels
// run the same loop over the chunk block_id.y of a grid (row blocks x
// chunks) and store their states, unfinalized, in the partial-state arrays;
// `_combine` kernels, one thread per row, merge the chunks' states in order
// (Accumulator::merge) and write the outputs.
//
// A block-sparse reduction has block k of its ranges over block_id.x, the
// tiles of its rows over block_id.y (1-D) and its intervals one after the
// other. In the 2-D scheme, chunk block_id.y holds positions [c L, (c + 1)
// L) of the block's intervals laid end to end (each interval clipped to
// them), the block of threads takes the tiles of rows in turn, and every
// row has a state for every chunk of the grid (the identity past its
// block's intervals): the combine kernel is the dense one.
//
// Every thread of a block takes part in the copies and barriers, also past
// the last row, whose results are only not written. A reduced row is read
// from global memory once per block instead of once per thread. The tile T
// is B, or less when B rows of the reduced variables would not fit in the
// shared memory every device has (48 KiB). The accumulators are those of the
// CPU backend (keops/Conversion/Accumulators.h) on vector<D> values.
//
//===----------------------------------------------------------------------===//

#include "FormulaEmission.h"
#include "SharedTile.h"
#include "WarpTile.h"

#include "keops/Conversion/Accumulators.h"
#include "keops/Conversion/GpuKernelShape.h"
#include "keops/Conversion/KernelABI.h"
#include "keops/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::keops {
#define GEN_PASS_DEF_CONVERTKEOPSTOGPU
#include "KeopsPasses.h.inc"
} // namespace mlir::keops

using namespace mlir;
using namespace mlir::keops;

namespace {

/// The most bytes of K-lists a GPU thread keeps in memory (local memory
/// on the device, the fiber's stack in the emulator).
constexpr int64_t kMaxGpuListBytes = 64 * 1024;

/// Shared memory every CUDA device gives a block without opting in.
constexpr int64_t kSharedBytes = 48 * 1024;

/// Memrefs on the partial states of the 2-D scheme at `ptr`: for each state
/// value (of type vector<W x T>), a `count` x W array, the arrays one after
/// the other, each starting at a multiple of 16 bytes.
SmallVector<Value> stateArrays(OpBuilder &b, Location loc, Value ptr,
                               Value count, ArrayRef<VectorType> stateTypes) {
  Type i64 = b.getI64Type();
  Type i8 = b.getI8Type();
  auto cst = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v))
        .getResult();
  };
  SmallVector<Value> arrays;
  Value offset = cst(0);
  for (VectorType vt : stateTypes) {
    int64_t width = vt.getNumElements();
    int64_t bytes = width * (vt.getElementType().getIntOrFloatBitWidth() / 8);
    Value at = LLVM::GEPOp::create(b, loc, ptr.getType(), i8, ptr,
                                   ArrayRef<LLVM::GEPArg>{offset});
    arrays.push_back(
        memrefOnPointer(b, loc, at, count, width, vt.getElementType()));
    Value end = arith::AddIOp::create(
        b, loc, offset, arith::MulIOp::create(b, loc, count, cst(bytes)));
    // Round up to 16 bytes: every element stays aligned.
    offset = arith::MulIOp::create(
        b, loc,
        arith::DivUIOp::create(b, loc,
                               arith::AddIOp::create(b, loc, end, cst(15)),
                               cst(16)),
        cst(16));
  }
  return arrays;
}

/// Ops on the common path of `block`: of an scf.if, the cheaper branch (a
/// K-min insertion, a softmax's rescaling are the rare ones).
int64_t commonPathOps(Block &block) {
  int64_t ops = 0;
  for (Operation &op : block) {
    ++ops;
    if (auto ifOp = dyn_cast<scf::IfOp>(op)) {
      int64_t then = commonPathOps(*ifOp.thenBlock());
      ops += ifOp.elseBlock() ? std::min(then, commonPathOps(*ifOp.elseBlock()))
                              : 0;
      continue;
    }
    for (Region &region : op.getRegions())
      for (Block &inner : region)
        ops += commonPathOps(inner);
  }
  return ops;
}

/// Reduced indices per iteration of the loop over a tile: 4 for small
/// formulas (the Gaussian sum's is about 15 ops on its common path), 2 up
/// to 120 ops, else 1, so that the unrolled loop stays small in registers
/// and code.
int64_t unrollFactor(scf::ForOp pairs) {
  int64_t ops = commonPathOps(*pairs.getBody());
  return ops <= 40 ? 4 : ops <= 120 ? 2 : 1;
}

/// What the kernels are asked to be: the pass options.
struct KernelOptions {
  int64_t blockSize;
  SumMode mode;
  int64_t unroll;
  StringRef tensorCores;
  int64_t gramMinDim;
};

/// Lowers `op`, the reduction of kernel `fn` of scheme `scheme` ("1d",
/// "part" or "combine"; a partial reduction's kernels have the same
/// schemes).
LogicalResult lowerReduce(ReduceOp op, gpu::GPUFuncOp fn, StringRef scheme,
                          const KernelOptions &options) {
  Location loc = op.getLoc();
  OpBuilder b(op);
  int64_t blockSize = options.blockSize;
  SumMode mode = options.mode;
  int64_t unroll = options.unroll;
  auto indexOf = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  auto toIndex = [&](Value v) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v).getResult();
  };
  bool combine = scheme == "combine";
  // Warp tiles (WarpTile.h), their keops.gram entries on the tensor cores
  // when they can be; the other entries are dot products.
  bool warpTiles = !combine && gpuUsesWarpTiles(op, blockSize,
                                                options.tensorCores,
                                                options.gramMinDim);
  std::optional<WarpTile> lanes;
  bool products = false;
  if (warpTiles) {
    lanes.emplace(b, loc, gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
    products = lanes->plan(op);
    fn->setAttr("keops.warp_tiles", b.getUnitAttr());
    // (Said once for the 1-D and 2-D schemes' kernels: by the 1-D one.)
    if (scheme != "part" && products)
      op.emitRemark() << "warp tiles of 16 rows x 8 columns, keops.gram "
                         "entries on the tensor cores (TF32)";
    else if (scheme != "part")
      op.emitRemark() << "warp tiles of 16 rows x 8 columns, on the CUDA "
                         "cores: no keops.gram entries of float32 operands "
                         "of at most "
                      << WarpTile::kMaxLeftComponents << " components";
  } else if (scheme == "1d") {
    std::string why = whyNoWarpTiles(op, blockSize, options.tensorCores,
                                      options.gramMinDim);
    if (!why.empty())
      op.emitRemark() << "no tensor cores: " << why;
  }
  if (!products && failed(expandGrams(op)))
    return failure();
  // Rows a thread computes: tid + r * blockSize, r < perThread, of the
  // block's blockRows (the combine kernel merges one row a thread); with
  // warp tiles, rows g and g + 8 of its warp's 16.
  int64_t perThread = combine ? 1 : warpTiles ? 2 : gpuRowsPerThread(op);
  int64_t blockRows = warpTiles ? blockSize / 2 : blockSize * perThread;
  if (perThread > 1)
    fn->setAttr("keops.rows_per_thread", b.getI64IntegerAttr(perThread));
  fn.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({int32_t(blockSize), 1, 1}));

  YieldOp yield = op.getYield();
  Accumulator acc(op, mode);

  Value c0 = indexOf(0), c1 = indexOf(1);
  Value rows = memref::DimOp::create(b, loc, op.getOuts()[0], 0);
  Value cols;
  for (auto [index, in] : llvm::enumerate(op.getIns()))
    if (!cols && op.getCategory(index) == op.getReducedCategory())
      cols = memref::DimOp::create(b, loc, in, 0);
  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  // The rows of this block of threads: [first, end), `blockSize` of them at
  // most, and where the reduced indices come from (`intervals` of a
  // block-sparse reduction: [from, to) of them).
  Value first, rowsEnd = rows, from, to, intervals;
  bool part = scheme == "part";
  // (The combine kernel of a block-sparse reduction merges rows like the
  // dense one: every row has a state per chunk, see below.)
  if (op.hasRanges() && !combine) {
    // Block k of the ranges over blockIdx.x, its tiles of rows over
    // blockIdx.y (a loop of step gridDim.y): the threads of a block share
    // their intervals, hence the tiles of the reduced variables they copy.
    ValueRange triple = op.getAxisRanges();
    intervals = triple[2];
    // With ranges per batch element, the grid has the blocks of the element
    // with most: the blocks past this element's (k >= its count) have no
    // rows to reduce. Every element has a block (the tables cover every
    // row), which they read instead.
    Value blockId = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
    Value valid = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::slt, blockId,
        memref::DimOp::create(b, loc, triple[0], 0));
    Value k = arith::SelectOp::create(b, loc, valid, blockId, c0);
    auto load = [&](Value mem, ValueRange at) {
      return toIndex(memref::LoadOp::create(b, loc, mem, at));
    };
    Value r0 = load(triple[0], {k, c0});
    rowsEnd = load(triple[0], {k, c1});
    Value previous = arith::MaxSIOp::create(
        b, loc, arith::SubIOp::create(b, loc, k, c1), c0);
    from = arith::SelectOp::create(
        b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, k, c0),
        c0, load(triple[1], {previous}));
    to = load(triple[1], {k});
    Value count = arith::SelectOp::create(
        b, loc, valid,
        arith::CeilDivSIOp::create(
            b, loc, arith::SubIOp::create(b, loc, rowsEnd, r0),
            indexOf(blockRows)),
        c0);
    // The 2-D scheme's chunks of the block's intervals are over blockIdx.y:
    // there, the block of threads takes the tiles of rows one after the
    // other.
    // (Bounds made in statements: their order in the IR does not depend on
    // the C++ compiler's order of evaluating arguments.)
    Value step =
        part ? c1 : gpu::GridDimOp::create(b, loc, gpu::Dimension::y).getResult();
    Value start =
        part ? c0 : gpu::BlockIdOp::create(b, loc, gpu::Dimension::y).getResult();
    auto rowTiles = scf::ForOp::create(b, loc, start, count, step);
    b.setInsertionPointToStart(rowTiles.getBody());
    first = arith::AddIOp::create(
        b, loc, r0,
        arith::MulIOp::create(b, loc, rowTiles.getInductionVar(),
                              indexOf(blockRows)));
  } else {
    first = arith::MulIOp::create(
        b, loc, gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
        indexOf(blockRows));
  }
  // Threads past the last row compute on the last row and do not write.
  Value lastRow = arith::MaxSIOp::create(
      b, loc, arith::SubIOp::create(b, loc, rowsEnd, c1), c0);
  SmallVector<Value> rowOf, keptOf, insideOf;
  for (int64_t r = 0; r < perThread; ++r) {
    Value rowR =
        warpTiles ? lanes->row(b, loc, first, r)
        : r ? arith::AddIOp::create(b, loc, rowOf[0], indexOf(r * blockSize))
                  .getResult()
            : arith::AddIOp::create(b, loc, first, tid).getResult();
    rowOf.push_back(rowR);
    keptOf.push_back(arith::MinSIOp::create(b, loc, rowR, lastRow));
    insideOf.push_back(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                             rowR, rowsEnd));
  }
  Value row = rowOf[0], keptRow = keptOf[0], inside = insideOf[0];
  // The 2-D scheme's partial states: (batch element e, chunk c, row r) at
  // row (e * chunks + c) * rows + r. The batch element is the induction
  // variable of the loop over elements that keops-outline-kernels puts
  // around a batched reduction (from blockIdx.z, step gridDim.z).
  Value element, elements;
  if (auto loop = dyn_cast<scf::ForOp>(op->getParentOp())) {
    auto id = loop.getLowerBound().getDefiningOp<gpu::BlockIdOp>();
    if (id && id.getDimension() == gpu::Dimension::z) {
      element = loop.getInductionVar();
      elements = loop.getUpperBound();
    }
  }
  SmallVector<Value> partials;
  // After the operands, M and N (and the first reduced index of a partial
  // reduction that has one: a kernel of keops-outline-kernels'
  // partial-states): the partial states and the number of chunks
  // (_combine) or the chunk length (_part, at least 1).
  unsigned operands =
      op.getIns().size() + op.getOuts().size() + (op.getFirst() ? 1 : 0);
  Value countArg, chunk, chunks;
  if (scheme == "part" || scheme == "combine") {
    countArg = toIndex(fn.getArgument(operands + 3));
    chunks = countArg;
    if (!combine) {
      // Block-sparse: chunks of `chunk` positions of each block's intervals
      // laid end to end, as many as the grid has (those past a block's
      // intervals reduce nothing).
      chunk = arith::MaxSIOp::create(b, loc, countArg, c1);
      chunks = intervals ? gpu::GridDimOp::create(b, loc, gpu::Dimension::y)
                               .getResult()
                         : arith::CeilDivSIOp::create(b, loc, cols, chunk)
                               .getResult();
    }
    Value slots =
        element ? arith::MulIOp::create(b, loc, elements, chunks) : chunks;
    Value total = arith::IndexCastOp::create(
        b, loc, b.getI64Type(), arith::MulIOp::create(b, loc, slots, rows));
    partials = stateArrays(b, loc, fn.getArgument(operands + 2), total,
                           acc.storedStateTypes());
  }
  // The partial state row of chunk `c` for row `r`.
  auto partialRow = [&](Value c, Value r) -> Value {
    if (!element && c == c0)
      return r;
    Value slot = element ? arith::AddIOp::create(
                               b, loc,
                               arith::MulIOp::create(b, loc, element, chunks), c)
                               .getResult()
                         : c;
    return arith::AddIOp::create(b, loc,
                                 arith::MulIOp::create(b, loc, slot, rows), r);
  };
  auto writeOutputs = [&](ValueRange state, Value row, Value inside) {
    // K-lists in memory are written from memory, other states finalized (a
    // partial reduction's exported).
    bool fromMemory = acc.keepsListInMemory();
    bool partial = op.getPartial();
    SmallVector<Value> outs;
    if (!fromMemory)
      outs = partial ? acc.exportState(b, loc, state)
                     : acc.finalize(b, loc, state);
    auto write = scf::IfOp::create(b, loc, inside, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(write.thenBlock());
    if (fromMemory)
      return (partial ? acc.stateAccumulator() : acc)
          .writeListRows(b, loc, state, op.getOuts(), row);
    for (auto [value, mem] : llvm::zip(outs, op.getOuts()))
      vector::StoreOp::create(b, loc, value, mem, ValueRange{row, c0});
  };

  if (combine) {
    // One thread per row merges its chunks' states in order.
    auto loadState = [&](Value at) {
      return acc.loadState(b, loc, partials, at);
    };
    SmallVector<Value> first = loadState(partialRow(c0, keptRow));
    auto merged = scf::ForOp::create(b, loc, c1, countArg, c1, first);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(merged.getBody());
      Value at = partialRow(merged.getInductionVar(), keptRow);
      scf::YieldOp::create(b, loc,
                           acc.merge(b, loc, merged.getRegionIterArgs(),
                                     loadState(at)));
    }
    writeOutputs(merged.getResults(), row, inside);
    op.erase();
    return success();
  }

  // The tile of the reduced axis that fits in shared memory.
  // (Warp tiles take whole groups of 8 reduced indices.)
  FailureOr<SharedTile> shared = SharedTile::create(
      op, fn, blockSize, kSharedBytes, warpTiles ? 8 : 1);
  if (failed(shared))
    return failure();
  int64_t tile = shared->size();
  Value cTile = indexOf(tile);

  // Each row's kept variables and the formula ops that depend on them only.
  Block &body = op.getFormula().front();
  llvm::DenseMap<Operation *, ReduceOp::Invariance> invariance =
      op.getInvariance();
  SmallVector<IRMapping> maps(perThread);
  for (int64_t r = 0; r < perThread; ++r) {
    for (auto [index, in] : llvm::enumerate(op.getIns()))
      if (op.getCategory(index) != op.getReducedCategory())
        maps[r].map(body.getArgument(index), loadRow(b, loc, in, keptOf[r]));
    if (failed(emitFormula(b, op, ReduceOp::Invariance::Row, invariance,
                           Value(), rowOf[r], maps[r])))
      return failure();
  }
  // The tensor cores' left operands, and what the pairs compute besides.
  llvm::DenseSet<Operation *> pairOps;
  llvm::DenseSet<Value> tileValues;
  if (products) {
    lanes->loadLeft(b, loc, keptOf, maps);
    pairOps = lanes->pairOps(*shared);
    tileValues = lanes->tileValuesRead(*shared);
    shared->roundToTf32(lanes->roundInTile(tileValues));
  }
  // The states of a thread's rows, one after the other.
  int64_t stateSize = acc.stateTypes().size();
  auto initAll = [&] {
    SmallVector<Value> all;
    for (int64_t r = 0; r < perThread; ++r)
      llvm::append_range(all, acc.init(b, loc));
    return all;
  };
  auto stateOf = [&](ValueRange all, int64_t r) {
    return all.slice(r * stateSize, stateSize);
  };
  // The state of row r after one pair: the formula on the row's values,
  // the reduced row's (`loaded`) and, on the tensor cores, the pair's
  // products (`entries`), folded into `before`.
  auto foldPair = [&](int64_t r, const IRMapping &loaded,
                      const IRMapping *entries, Value jAxis,
                      ValueRange before) -> FailureOr<SmallVector<Value>> {
    IRMapping pair = maps[r];
    for (auto [from, to] : loaded.getValueMap())
      pair.map(from, to);
    if (entries)
      for (auto [from, to] : entries->getValueMap())
        pair.map(from, to);
    if (failed(emitFormula(b, op, ReduceOp::Invariance::Pair, invariance,
                           jAxis, rowOf[r], pair,
                           products ? &pairOps : nullptr)))
      return failure();
    Value f = pair.lookup(yield.getValues()[0]);
    Value w = yield.getValues().size() == 2 ? pair.lookup(yield.getValues()[1])
                                            : Value();
    return acc.fold(b, loc, before, f, w, jAxis);
  };
  // Loops over the pairs of a tile count in 32 bits (at most the tile size).
  Type i32 = b.getI32Type();
  auto cst32 = [&](int32_t v) {
    return arith::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(v))
        .getResult();
  };

  // Warp tiles: the states after the tile's indices [t, end), from
  // `start`, by groups of 8 (the last one partial, its lanes past `end`
  // keeping their states): each lane folds its 2 columns of a group for
  // its 2 rows.
  auto foldGroups = [&](Value t, Value end,
                        ValueRange start) -> FailureOr<SmallVector<Value>> {
    Value c8 = indexOf(8);
    Value count = arith::SubIOp::create(b, loc, end, t);
    Value whole = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, count, c8), c8);
    auto foldGroup = [&](Value base, ValueRange state,
                         Value limit) -> FailureOr<SmallVector<Value>> {
      SmallVector<IRMapping> entries(4);
      if (products)
        lanes->multiply(b, loc, *shared, base, entries);
      SmallVector<Value> next(state);
      for (int64_t e = 0; e < 2; ++e) {
        Value local = lanes->column(b, loc, base, e);
        Value j = arith::AddIOp::create(b, loc, t, local);
        Value jAxis =
            op.getFirst() ? arith::AddIOp::create(b, loc, j, op.getFirst()) : j;
        IRMapping loaded;
        if (products)
          shared->load(b, loc, local, loaded, tileValues);
        else
          shared->load(b, loc, local, loaded);
        Value valid =
            limit ? arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                          local, limit)
                        .getResult()
                  : Value();
        for (int64_t r = 0; r < 2; ++r) {
          FailureOr<SmallVector<Value>> after =
              foldPair(r, loaded, &entries[2 * r + e], jAxis,
                       stateOf(next, r));
          if (failed(after))
            return failure();
          for (auto [k, v] : llvm::enumerate(*after)) {
            Value old = next[r * stateSize + k];
            next[r * stateSize + k] =
                valid ? arith::SelectOp::create(b, loc, valid, v, old)
                            .getResult()
                      : v;
          }
        }
      }
      return next;
    };
    auto groups = scf::ForOp::create(
        b, loc, cst32(0), arith::IndexCastOp::create(b, loc, i32, whole),
        cst32(8), start);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(groups.getBody());
      FailureOr<SmallVector<Value>> next = foldGroup(
          arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                     groups.getInductionVar()),
          groups.getRegionIterArgs(), Value());
      if (failed(next))
        return failure();
      scf::YieldOp::create(b, loc, *next);
    }
    // The last, partial group.
    Value partial =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, whole, count);
    auto last = scf::IfOp::create(b, loc, groups.getResultTypes(), partial,
                                  /*withElse=*/true);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(last.thenBlock());
      FailureOr<SmallVector<Value>> next =
          foldGroup(whole, groups.getResults(), count);
      if (failed(next))
        return failure();
      scf::YieldOp::create(b, loc, *next);
      b.setInsertionPointToStart(last.elseBlock());
      scf::YieldOp::create(b, loc, groups.getResults());
    }
    return SmallVector<Value>(last.getResults());
  };

  // The states after the reduced range [lo, hi), from `start`: its tiles
  // through shared memory.
  auto reduceRange = [&](Value lo, Value hi,
                         ValueRange start) -> FailureOr<scf::ForOp> {
    auto tiles = scf::ForOp::create(b, loc, lo, hi, cTile, start);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(tiles.getBody());
    Value t = tiles.getInductionVar();
    // The copy of the tile into shared memory.
    Value src = arith::AddIOp::create(b, loc, t, tid);
    Value copies =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, src, hi);
    if (tile < blockSize)
      copies = arith::AndIOp::create(
          b, loc, copies,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, tid, cTile));
    auto copy = scf::IfOp::create(b, loc, copies, /*withElse=*/false);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(copy.thenBlock());
      shared->store(b, loc, src, tid, maps[0]);
    }
    gpu::BarrierOp::create(b, loc);
    Value end = arith::MinSIOp::create(
        b, loc, arith::AddIOp::create(b, loc, t, cTile), hi);
    SmallVector<Value> state;
    if (warpTiles) {
      FailureOr<SmallVector<Value>> folded =
          foldGroups(t, end, tiles.getRegionIterArgs());
      if (failed(folded))
        return failure();
      state = *folded;
    } else {
      // The loop counts the tile's rows in 32 bits and carries the row as
      // an index, incremented by one a row: the unrolled copies read it at
      // constant offsets, and the 64-bit index of the axis is formed only
      // where an index reduction or a formula reads it.
      Value count = arith::IndexCastOp::create(
          b, loc, i32, arith::SubIOp::create(b, loc, end, t));
      SmallVector<Value> carried(tiles.getRegionIterArgs());
      carried.push_back(c0);
      auto pairs =
          scf::ForOp::create(b, loc, cst32(0), count, cst32(1), carried);
      {
        OpBuilder::InsertionGuard inner(b);
        b.setInsertionPointToStart(pairs.getBody());
        ValueRange args = pairs.getRegionIterArgs();
        Value local = args.back();
        Value j = arith::AddIOp::create(b, loc, t, local);
        // The reduced index of the whole axis (a partial reduction's rows
        // start at its first index).
        Value jAxis =
            op.getFirst() ? arith::AddIOp::create(b, loc, j, op.getFirst()) : j;
        // The tile's row (variables and derived values), loaded once for the
        // thread's rows.
        IRMapping loaded;
        shared->load(b, loc, local, loaded);
        SmallVector<Value> next;
        for (int64_t r = 0; r < perThread; ++r) {
          FailureOr<SmallVector<Value>> after =
              foldPair(r, loaded, nullptr, jAxis, stateOf(args, r));
          if (failed(after))
            return failure();
          llvm::append_range(next, *after);
        }
        next.push_back(arith::AddIOp::create(b, loc, local, c1));
        scf::YieldOp::create(b, loc, next);
      }
      // Several reduced indices per iteration (a remainder loop after them):
      // the loop's counting and branching are shared, and the tile's rows
      // are read at constant offsets. The state is that of the last loop,
      // the remainder's if there is one.
      state.assign(pairs.getResults().begin(), std::prev(pairs.getResults().end()));
      if (int64_t factor = unroll ? unroll : unrollFactor(pairs); factor > 1) {
        FailureOr<UnrolledLoopInfo> unrolled = loopUnrollByFactor(pairs, factor);
        if (failed(unrolled)) {
          op.emitOpError() << "cannot unroll the loop over a tile by " << factor;
          return failure();
        }
        scf::ForOp last = unrolled->epilogueLoopOp ? *unrolled->epilogueLoopOp
                          : unrolled->mainLoopOp   ? *unrolled->mainLoopOp
                                                   : pairs;
        ValueRange results = last.getResults().drop_back();
        state.assign(results.begin(), results.end());
        b.setInsertionPointAfter(last);
      }
    }
    // The next tile overwrites shared memory: everyone must be done.
    gpu::BarrierOp::create(b, loc);
    if (acc.usesBlocks()) {
      SmallVector<Value> flushed;
      for (int64_t r = 0; r < perThread; ++r)
        llvm::append_range(flushed, acc.flushBlock(b, loc, stateOf(state, r)));
      state = flushed;
    }
    scf::YieldOp::create(b, loc, state);
    return tiles;
  };

  SmallVector<Value> result;
  if (intervals && !part) {
    // Block-sparse: the block's intervals one after the other.
    auto each = scf::ForOp::create(b, loc, from, to, c1, initAll());
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(each.getBody());
      Value s = each.getInductionVar();
      Value end =
          toIndex(memref::LoadOp::create(b, loc, intervals, ValueRange{s, c1}));
      Value begin =
          toIndex(memref::LoadOp::create(b, loc, intervals, ValueRange{s, c0}));
      FailureOr<scf::ForOp> tiles =
          reduceRange(begin, end, each.getRegionIterArgs());
      if (failed(tiles))
        return failure();
      scf::YieldOp::create(b, loc, tiles->getResults());
    }
    result.assign(each.getResults().begin(), each.getResults().end());
  } else if (intervals) {
    // Block-sparse, 2-D: positions [lo, hi) of the block's intervals laid
    // end to end (chunk block_id.y); `at` is the position where interval s
    // starts, each interval clipped to the window.
    Value lo = arith::MulIOp::create(
        b, loc, gpu::BlockIdOp::create(b, loc, gpu::Dimension::y), chunk);
    Value hi = arith::AddIOp::create(b, loc, lo, chunk);
    SmallVector<Value> start = initAll();
    start.push_back(c0);
    auto each = scf::ForOp::create(b, loc, from, to, c1, start);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(each.getBody());
      Value s = each.getInductionVar();
      ValueRange carried = each.getRegionIterArgs();
      Value at = carried.back();
      Value begin =
          toIndex(memref::LoadOp::create(b, loc, intervals, ValueRange{s, c0}));
      Value end =
          toIndex(memref::LoadOp::create(b, loc, intervals, ValueRange{s, c1}));
      Value length = arith::SubIOp::create(b, loc, end, begin);
      // Columns [begin + max(lo - at, 0), begin + min(hi - at, length)).
      Value skip = arith::MaxSIOp::create(
          b, loc, arith::SubIOp::create(b, loc, lo, at), c0);
      Value keep = arith::MinSIOp::create(
          b, loc, arith::SubIOp::create(b, loc, hi, at), length);
      FailureOr<scf::ForOp> tiles = reduceRange(
          arith::AddIOp::create(b, loc, begin, skip),
          arith::AddIOp::create(b, loc, begin, keep), carried.drop_back());
      if (failed(tiles))
        return failure();
      SmallVector<Value> next(tiles->getResults());
      next.push_back(arith::AddIOp::create(b, loc, at, length));
      scf::YieldOp::create(b, loc, next);
    }
    ValueRange states = each.getResults().drop_back();
    result.assign(states.begin(), states.end());
  } else {
    // The reduced range of this block: all of it, or (2-D) chunk block_id.y.
    Value lo = c0, hi = cols;
    if (scheme == "part") {
      lo = arith::MulIOp::create(
          b, loc, gpu::BlockIdOp::create(b, loc, gpu::Dimension::y), chunk);
      hi = arith::MinSIOp::create(
          b, loc, arith::AddIOp::create(b, loc, lo, chunk), cols);
    }
    FailureOr<scf::ForOp> tiles = reduceRange(lo, hi, initAll());
    if (failed(tiles))
      return failure();
    result.assign(tiles->getResults().begin(), tiles->getResults().end());
  }

  if (warpTiles) {
    // The four lanes of a row merge their states; the first writes.
    SmallVector<Value> merged;
    for (int64_t r = 0; r < perThread; ++r)
      llvm::append_range(merged,
                         lanes->mergeRow(b, loc, acc, stateOf(result, r)));
    result = merged;
    Value leads = lanes->leadsRow(b, loc);
    for (Value &in : insideOf)
      in = arith::AndIOp::create(b, loc, in, leads);
  }
  for (int64_t r = 0; r < perThread; ++r) {
    OpBuilder::InsertionGuard guard(b);
    if (scheme != "part") {
      writeOutputs(stateOf(result, r), rowOf[r], insideOf[r]);
      continue;
    }
    // The chunk's state, unfinalized, for the combine kernel.
    Value at = partialRow(gpu::BlockIdOp::create(b, loc, gpu::Dimension::y),
                          rowOf[r]);
    auto write = scf::IfOp::create(b, loc, insideOf[r], /*withElse=*/false);
    b.setInsertionPointToStart(write.thenBlock());
    acc.storeState(b, loc, stateOf(result, r), partials, at);
  }
  op.erase();
  return success();
}

struct ConvertKeopsToGPU
    : mlir::keops::impl::ConvertKeopsToGPUBase<ConvertKeopsToGPU> {
  using ConvertKeopsToGPUBase::ConvertKeopsToGPUBase;

  void runOnOperation() override {
    FailureOr<SumMode> mode = parseSumMode(accumulation, getOperation());
    if (failed(mode))
      return signalPassFailure();
    if (blockSize < 1 || blockSize > 1024) {
      getOperation()->emitError()
          << "block-size " << int64_t(blockSize) << " is not in [1, 1024]";
      return signalPassFailure();
    }
    if (!isTensorCoreMode(tensorCores)) {
      getOperation()->emitError() << "tensor-cores=" << tensorCores
                                  << " is not one of none, tf32";
      return signalPassFailure();
    }
    if (unroll < 0 || unroll > 64) {
      getOperation()->emitError()
          << "unroll " << int64_t(unroll) << " is not in [0, 64]";
      return signalPassFailure();
    }
    // States of partial reductions: one thread per row.
    if (failed(lowerStateOps(getOperation(), 0, /*gpuThreads=*/true)))
      return signalPassFailure();
    SmallVector<ReduceOp> reduces;
    getOperation()->walk([&](ReduceOp op) { reduces.push_back(op); });
    for (ReduceOp op : reduces) {
      // Directly in the kernel, or in the loop over batch elements.
      auto fn = op->getParentOfType<gpu::GPUFuncOp>();
      if (!op.getResults().empty() || !fn || !fn.isKernel()) {
        op.emitOpError() << "is not a memref-form reduction in the body of a "
                            "gpu.func kernel (run "
                            "-keops-outline-kernels=gpu=true first)";
        return signalPassFailure();
      }
      // A GPU thread keeps large K-lists in thread-local memory: K x D
      // values and indices.
      if (ReduceOp::needsK(op.getKind()) && op.getK()) {
        Accumulator acc(op, *mode);
        int64_t bytes = acc.storedStateBytes();
        if (acc.keepsListInMemory() && bytes > kMaxGpuListBytes) {
          op.emitOpError() << "keeps K x D = " << int64_t(*op.getK()) << " x "
                           << cast<VectorType>(
                                  op.getYield().getValues()[0].getType())
                                  .getDimSize(0)
                           << " values and indices per output row (" << bytes
                           << " bytes) in a GPU thread's memory; more than "
                           << kMaxGpuListBytes
                           << " bytes is not supported there (the CPU "
                              "backend keeps lists of any size)";
          return signalPassFailure();
        }
      }
      auto scheme = fn->getAttrOfType<StringAttr>("keops.scheme");
      KernelOptions options{blockSize, *mode, unroll, tensorCores, gramMinDim};
      if (failed(lowerReduce(op, fn, scheme ? scheme.getValue() : "1d",
                             options)))
        return signalPassFailure();
    }
  }
};

} // namespace
