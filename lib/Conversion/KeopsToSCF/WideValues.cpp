//===- WideValues.cpp - sums of wide formula values, chunk by chunk -------===//
//
// See WideValues.h.
//
//===----------------------------------------------------------------------===//

#include "WideValues.h"
#include "ReducedLanes.h"
#include "WidenFormula.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::keops;

namespace {

/// A loop over [lb, ub) whose body `fn` builds at `b` (given the induction
/// variable).
void loop(OpBuilder &b, Location loc, Value lb, Value ub, Value step,
          llvm::function_ref<void(Value)> fn) {
  auto f = scf::ForOp::create(b, loc, lb, ub, step);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(f.getBody()->getTerminator());
  fn(f.getInductionVar());
}

/// `w` elements of `mem` from `at` (in bounds).
Value read(OpBuilder &b, Location loc, Value mem, ValueRange at, int64_t w) {
  Type elt = cast<MemRefType>(mem.getType()).getElementType();
  Value pad = arith::ConstantOp::create(b, loc, elt, b.getZeroAttr(elt));
  return vector::TransferReadOp::create(b, loc, VectorType::get({w}, elt), mem,
                                        at, pad, ArrayRef<bool>{true});
}

void write(OpBuilder &b, Location loc, Value v, Value mem, ValueRange at) {
  vector::TransferWriteOp::create(b, loc, v, mem, at, ArrayRef<bool>{true});
}

VectorType chunkType(Type t, int64_t w) {
  return VectorType::get({w}, cast<VectorType>(t).getElementType());
}

/// The components of a formula value: a vector's elements, or 1 (a scalar).
int64_t componentsOf(Type t) {
  auto vt = dyn_cast<VectorType>(t);
  return vt ? vt.getNumElements() : 1;
}

/// The splat value of a constant vector, or null.
Attribute splatOf(Operation &o) {
  auto cst = dyn_cast<arith::ConstantOp>(o);
  auto dense = cst ? dyn_cast<DenseElementsAttr>(cst.getValue()) : nullptr;
  return dense && dense.isSplat() ? dense.getSplatValue<Attribute>()
                                  : Attribute();
}

} // namespace

WideValues::WideValues(ReduceOp op, int64_t lanes, SumMode mode,
                       int64_t above, bool rowLoopTiles)
    : op(op), mode(mode), sides(op.getSides()), lanes(lanes) {
  ValueRange yields = op.getYield().getValues();
  Type elt = op.getElementType();
  bool sums = mode == SumMode::Plain || mode == SumMode::Block ||
              (mode == SumMode::F64 && elt.isF64());
  if (op.getKind() != ReductionKind::Sum || yields.size() != 1 ||
      op.hasRanges() || rowLoopTiles || !sums)
    return;
  width = cast<VectorType>(yields[0].getType()).getNumElements();
  if (width <= above)
    return;
  bool special = false;
  op.getFormula().walk([&](Operation *o) {
    special |= isa<SelectIndexOp, GramOp>(o);
  });
  if (special)
    return;
  chunk = classify() ? std::min(std::max<int64_t>(lanes, 1), width) : width;
  if (!chunked()) {
    wide.clear();
    perRow.clear();
    perColumn.clear();
    laneValues.clear();
  }
  applies = true;
}

bool WideValues::classify() {
  Block &body = op.getFormula().front();
  auto isWide = [&](Type t) {
    auto vt = dyn_cast<VectorType>(t);
    return vt && vt.getRank() == 1 && vt.getDimSize(0) == width;
  };
  auto computed = [&](Value v) {
    return !isa<BlockArgument>(v) && wide.contains(v);
  };
  for (BlockArgument arg : body.getArguments())
    if (isWide(arg.getType()))
      wide.insert(arg);
  for (Operation &o : body.without_terminator()) {
    if (o.getNumResults() != 1)
      return false;
    Value r = o.getResult(0);
    if (!isWide(r.getType())) {
      // A narrow value: the variables it reads are read whole, but a
      // computed wide value exists by chunks only.
      if (llvm::any_of(o.getOperands(), computed))
        return false;
      continue;
    }
    bool chunkable = false;
    if (auto bc = dyn_cast<vector::BroadcastOp>(o))
      chunkable = isWide(bc.getSourceType()) ? wide.contains(bc.getSource())
                                               : true;
    else if (isa<arith::ConstantOp>(o))
      chunkable = bool(splatOf(o));
    else if (o.hasTrait<OpTrait::Elementwise>())
      chunkable = llvm::all_of(o.getOperands(),
                               [&](Value x) { return wide.contains(x); });
    if (!chunkable)
      return false;
    wide.insert(r);
  }
  Value yield = op.getYield().getValues()[0];
  if (!wide.contains(yield))
    return false;
  // Wide values of one side (or of none) that the pairs read: once per row
  // (and block of columns), or once per column of a block, into buffers.
  auto both = [&](Value v) {
    return sides.lookup(v) == (ReduceOp::KeptSide | ReduceOp::ReducedSide);
  };
  for (Operation &o : body.without_terminator()) {
    Value r = o.getResult(0);
    if (!wide.contains(r) || both(r))
      continue;
    bool read = r == yield || llvm::any_of(r.getUsers(), [&](Operation *user) {
                  return user->getNumResults() == 1 &&
                         wide.contains(user->getResult(0)) &&
                         both(user->getResult(0));
                });
    if (read)
      (sides.lookup(r) == ReduceOp::ReducedSide ? perColumn : perRow)
          .push_back(r);
  }
  // Narrow values of the reduced side or of both that the pairs' wide
  // values read (not variables, loaded as they are): by lanes of reduced
  // indices, if they need narrow values only (values and variables as wide
  // as the lanes' rows allow).
  llvm::SetVector<Value> read;
  for (Operation &o : body.without_terminator())
    if (wide.contains(o.getResult(0)) && both(o.getResult(0)))
      for (Value x : o.getOperands())
        if (!wide.contains(x) && !isa<BlockArgument>(x) &&
            (sides.lookup(x) & ReduceOp::ReducedSide))
          read.insert(x);
  // (As wide as the few-rows loop reads and computes lanes.)
  auto narrowEnough = [&](Value v) {
    return componentsOf(v.getType()) <= ReducedLanes::kMaxWidth;
  };
  bool vectorizable = lanes > 1;
  llvm::DenseSet<Value> seen;
  for (SmallVector<Value> work(read.begin(), read.end()); !work.empty();) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    vectorizable &= narrowEnough(v);
    if (Operation *def = v.getDefiningOp())
      llvm::append_range(work, def->getOperands());
  }
  if (vectorizable)
    laneValues.assign(read.begin(), read.end());
  laneFed = read.empty() || vectorizable;
  return true;
}

void WideValues::forChunks(OpBuilder &b, Location loc,
                           llvm::function_ref<void(Value, int64_t)> fn) const {
  int64_t full = width - width % chunk;
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  if (full == chunk) {
    fn(c0, chunk);
  } else if (full > 0) {
    // (Operands made in statements: their order in the IR does not depend
    // on the C++ compiler's order of evaluating arguments.)
    Value end = arith::ConstantIndexOp::create(b, loc, full);
    Value step = arith::ConstantIndexOp::create(b, loc, chunk);
    loop(b, loc, c0, end, step, [&](Value c) { fn(c, chunk); });
  }
  if (width % chunk)
    fn(arith::ConstantIndexOp::create(b, loc, full), width % chunk);
}

SmallVector<Value>
WideValues::chunkOf(OpBuilder &b, Location loc, ArrayRef<Value> wanted,
                    Value c, int64_t w, ArrayRef<Value> ins, Value keptRow,
                    Value reducedRow, const IRMapping &narrow,
                    const Buffers &buffers) const {
  ReduceOp reduce = op;
  Block &body = reduce.getFormula().front();
  llvm::DenseSet<Operation *> needed;
  for (SmallVector<Value> work(wanted); !work.empty();) {
    Value v = work.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (def && wide.contains(v) && !buffers.count(v) &&
        needed.insert(def).second)
      llvm::append_range(work, def->getOperands());
  }
  IRMapping map;
  // An operand's chunk: from the map, a buffer, a variable's memory; or,
  // not wide, the narrow value (a broadcast's source).
  auto operand = [&](Value x) -> Value {
    if (Value m = map.lookupOrNull(x))
      return m;
    Value r;
    if (auto it = buffers.find(x); it != buffers.end()) {
      auto [mem, row] = it->second;
      r = row ? read(b, loc, mem, ValueRange{row, c}, w)
              : read(b, loc, mem, ValueRange{c}, w);
    } else if (auto arg = dyn_cast<BlockArgument>(x); arg && wide.contains(x)) {
      unsigned index = arg.getArgNumber();
      Value mem = ins[index];
      if (cast<MemRefType>(mem.getType()).getRank() == 1) {
        r = read(b, loc, mem, ValueRange{c}, w); // a parameter
      } else {
        Value row = reduce.getCategory(index) == reduce.getReducedCategory()
                        ? reducedRow
                        : keptRow;
        r = read(b, loc, mem, ValueRange{row, c}, w);
      }
    } else {
      return narrow.lookup(x);
    }
    map.map(x, r);
    return r;
  };
  for (Operation &o : body.without_terminator()) {
    if (!needed.contains(&o))
      continue;
    Value res = o.getResult(0);
    VectorType type = chunkType(res.getType(), w);
    Value clone;
    if (auto bc = dyn_cast<vector::BroadcastOp>(o)) {
      Value source = operand(bc.getSource());
      clone = source.getType() == type
                  ? source
                  : vector::BroadcastOp::create(b, loc, type, source);
    } else if (Attribute splat = splatOf(o)) {
      clone = arith::ConstantOp::create(b, loc, type,
                                        DenseElementsAttr::get(type, splat));
    } else {
      for (Value x : o.getOperands())
        operand(x);
      Operation *copy = b.clone(o, map);
      copy->getResult(0).setType(type);
      clone = copy->getResult(0);
    }
    map.map(res, clone);
  }
  SmallVector<Value> out;
  for (Value v : wanted)
    out.push_back(operand(v));
  return out;
}

void WideValues::fillLanes(OpBuilder &b, Location loc, Value j, Value at,
                           Value keptRow, ArrayRef<Value> ins,
                           const IRMapping &narrow,
                           ArrayRef<Value> buffers) const {
  ReduceOp reduce = op;
  Block &body = reduce.getFormula().front();
  // (The pair indices serve keops.select_index only, absent here.)
  PairIndices pairs{j, keptRow, /*reducedLanes=*/true};
  // The ops the lane values need, widened on top of the reduced rows read
  // as lanes (0 past the last) and of the row's values broadcast.
  llvm::DenseSet<Operation *> needed;
  for (SmallVector<Value> work(laneValues); !work.empty();) {
    Operation *def = work.pop_back_val().getDefiningOp();
    if (def && needed.insert(def).second)
      llvm::append_range(work, def->getOperands());
  }
  IRMapping map;
  ColumnValues column;
  column.narrow = narrow;
  auto operand = [&](Value x) {
    if (map.contains(x))
      return;
    auto arg = dyn_cast<BlockArgument>(x);
    if (arg && reduce.getCategory(arg.getArgNumber()) ==
                   reduce.getReducedCategory())
      map.map(x, readRows(b, loc, ins[arg.getArgNumber()], j, lanes));
    else
      map.map(x, column.wideOf(b, loc, x, lanes));
  };
  for (Operation &o : body.without_terminator()) {
    if (!needed.contains(&o) || map.contains(o.getResult(0)))
      continue;
    if (!(sides.lookup(o.getResult(0)) & ReduceOp::ReducedSide)) {
      operand(o.getResult(0)); // the row's value, broadcast
      continue;
    }
    for (Value x : o.getOperands())
      operand(x);
    // (Cannot fail: the op was cloned narrow as well, and widenOp covers
    // every op cloneAtWidth does but keops.select_index, absent here.)
    (void)widenOp(b, &o, map, lanes, pairs);
  }
  for (auto [v, mem] : llvm::zip(laneValues, buffers)) {
    Value value = map.lookup(v);
    if (!isa<VectorType>(v.getType())) // a scalar: vector<lanes> as 1 x lanes
      value = vector::ShapeCastOp::create(
          b, loc, VectorType::get({1, lanes}, v.getType()), value);
    writeRows(b, loc, value, mem, at);
  }
}

LogicalResult WideValues::emit(OpBuilder &b, Location loc,
                               ArrayRef<Value> keptIns, ArrayRef<Value> outs,
                               Value cols,
                               const IRMapping &narrowPerReduction) {
  Block &body = op.getFormula().front();
  Value yield = op.getYield().getValues()[0];
  Value out = outs[0];
  Type elt = cast<MemRefType>(out.getType()).getElementType();
  SmallVector<Value> ins(op.getIns());
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value rows = memref::DimOp::create(b, loc, out, 0);
  auto zeros = [&](int64_t w) {
    return splatVector(b, loc, VectorType::get({w}, elt), 0.0);
  };

  // Blocks of reduced rows, whose variables and wide values every kept row
  // of this call reads from cache: about 16 KiB of them when each chunk
  // loops over the block (L1: the columns' chunks are strided), 64 KiB
  // when each column's chunks are read in turn; 8 to 256 indices (block
  // sums of at most 256 terms, as the row loop's), whole groups of lanes
  // when lane values are computed (benchmarks/wide_values_bench.py).
  auto bytesOf = [](Type t, int64_t n) {
    return n * getElementTypeOrSelf(t).getIntOrFloatBitWidth() / 8;
  };
  int64_t bytes = 0;
  for (auto [index, in] : llvm::enumerate(ins))
    if (op.getCategory(index) == op.getReducedCategory()) {
      auto type = cast<MemRefType>(in.getType());
      bytes += bytesOf(type, type.getDimSize(1));
    }
  for (Value v : perColumn)
    bytes += bytesOf(v.getType(), width);
  int64_t cache = chunksOutside() ? (16 << 10) : (64 << 10);
  int64_t block =
      std::clamp<int64_t>(cache / std::max<int64_t>(bytes, 1), 8, 256);
  if (!laneValues.empty())
    block = std::min<int64_t>(llvm::alignTo(block, lanes),
                              std::max<int64_t>(256 / lanes, 1) * lanes);
  // Buffers on the heap, once per call (width may be 65536).
  SmallVector<Value> allocated;
  auto buffer = [&](ArrayRef<int64_t> shape, Type t) {
    allocated.push_back(memref::AllocOp::create(
        b, loc, MemRefType::get(shape, getElementTypeOrSelf(t))));
    return allocated.back();
  };
  bool blockSums = mode != SumMode::Plain;
  Value part =
      blockSums && !chunksOutside() ? buffer({width}, elt) : Value();
  Buffers rowBuffers;
  for (Value v : perRow)
    rowBuffers[v] = {buffer({width}, v.getType()), Value()};
  SmallVector<Value> columnBuffers;
  for (Value v : perColumn)
    columnBuffers.push_back(buffer({block, width}, v.getType()));
  SmallVector<Value> laneBuffers;
  for (Value v : laneValues)
    laneBuffers.push_back(buffer({block, componentsOf(v.getType())}, v.getType()));
  const Buffers noBuffers;
  auto isNarrow = [&](Operation &o) {
    return o.getNumResults() == 1 && !wide.contains(o.getResult(0));
  };

  loop(b, loc, c0, rows, c1, [&](Value i) {
    forChunks(b, loc, [&](Value c, int64_t w) {
      write(b, loc, zeros(w), out, ValueRange{i, c});
    });
  });
  loop(b, loc, c0, cols, arith::ConstantIndexOp::create(b, loc, block),
       [&](Value j0) {
    Value end = arith::MinSIOp::create(
        b, loc,
        arith::AddIOp::create(b, loc, j0,
                              arith::ConstantIndexOp::create(b, loc, block)),
        cols);
    // The block's wide values of the reduced side alone.
    if (!perColumn.empty())
      loop(b, loc, j0, end, c1, [&](Value j) {
        IRMapping column = narrowPerReduction;
        mapVariableRows(b, loc, op, op.getReducedCategory(), ins, j, column);
        for (Operation &o : body.without_terminator())
          if (isNarrow(o) &&
              sides.lookup(o.getResult(0)) == ReduceOp::ReducedSide &&
              !column.contains(o.getResult(0)))
            cloneAtWidth(b, o, column);
        Value at = arith::SubIOp::create(b, loc, j, j0);
        forChunks(b, loc, [&](Value c, int64_t w) {
          SmallVector<Value> values = chunkOf(b, loc, perColumn, c, w, ins,
                                              Value(), j, column, noBuffers);
          for (auto [mem, value] : llvm::zip(columnBuffers, values))
            write(b, loc, value, mem, ValueRange{at, c});
        });
      });
    loop(b, loc, c0, rows, c1, [&](Value i) {
      // The row's values, narrow, then its wide values into buffers.
      IRMapping narrow = narrowPerReduction;
      mapVariableRows(b, loc, op, op.getKeptCategory(), keptIns, i, narrow);
      for (Operation &o : body.without_terminator())
        if (isNarrow(o) && sides.lookup(o.getResult(0)) == ReduceOp::KeptSide &&
            !narrow.contains(o.getResult(0)))
          cloneAtWidth(b, o, narrow);
      if (!perRow.empty())
        forChunks(b, loc, [&](Value c, int64_t w) {
          SmallVector<Value> values = chunkOf(b, loc, perRow, c, w, ins, i,
                                              Value(), narrow, noBuffers);
          for (auto [v, value] : llvm::zip(perRow, values))
            write(b, loc, value, rowBuffers[v].first, ValueRange{c});
        });
      // The pairs' narrow values that wide ones read, by lanes.
      if (!laneValues.empty())
        loop(b, loc, j0, end, arith::ConstantIndexOp::create(b, loc, lanes),
             [&](Value j) {
          fillLanes(b, loc, j, arith::SubIOp::create(b, loc, j, j0), i, ins,
                    narrow, laneBuffers);
        });
      // The pair's values: on top of the row's, the variables of column j,
      // its buffered values and lane values (then, with `cloneRest`, the other
      // narrow ones).
      auto pairValues = [&](Value j, IRMapping &pair, Buffers &buffers,
                            bool cloneRest) {
        mapVariableRows(b, loc, op, op.getReducedCategory(), ins, j, pair);
        Value at = arith::SubIOp::create(b, loc, j, j0);
        for (auto [v, mem] : llvm::zip(perColumn, columnBuffers))
          buffers[v] = {mem, at};
        for (auto [v, mem] : llvm::zip(laneValues, laneBuffers)) {
          Type t = v.getType();
          Value row = vector::LoadOp::create(
              b, loc,
              VectorType::get({componentsOf(t)}, getElementTypeOrSelf(t)), mem,
              ValueRange{at, c0});
          pair.map(v, isa<VectorType>(t)
                          ? row
                          : vector::ExtractOp::create(b, loc, row,
                                                      ArrayRef<int64_t>{0})
                                .getResult());
        }
        if (cloneRest)
          for (Operation &o : body.without_terminator())
            if (isNarrow(o) && !pair.contains(o.getResult(0)))
              cloneAtWidth(b, o, pair);
      };
      if (chunksOutside()) {
        // Every narrow value the pairs' wide ones read is buffered: for
        // each chunk, a loop over the block's columns whose sums stay in
        // registers (from zero with block sums, from the output row
        // without), added to or stored into the output row after it.
        forChunks(b, loc, [&](Value c, int64_t w) {
          Value start =
              blockSums ? zeros(w) : read(b, loc, out, ValueRange{i, c}, w);
          auto columns = scf::ForOp::create(b, loc, j0, end, c1, start);
          {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(columns.getBody());
            Value j = columns.getInductionVar();
            IRMapping pair = narrow;
            Buffers buffers = rowBuffers;
            pairValues(j, pair, buffers, /*cloneRest=*/false);
            Value f =
                chunkOf(b, loc, {yield}, c, w, ins, i, j, pair, buffers)[0];
            scf::YieldOp::create(
                b, loc,
                ValueRange{arith::AddFOp::create(
                    b, loc, columns.getRegionIterArgs()[0], f)});
          }
          Value sums = columns.getResult(0);
          if (blockSums)
            sums = arith::AddFOp::create(
                b, loc, read(b, loc, out, ValueRange{i, c}, w), sums);
          write(b, loc, sums, out, ValueRange{i, c});
        });
        return;
      }
      // Otherwise each pair computes its narrow values once and adds each
      // chunk to the sums in memory: the block's, or the output row.
      auto sumsAt = [&](Value c) -> SmallVector<Value> {
        if (blockSums)
          return {c};
        return {i, c};
      };
      Value sums = blockSums ? part : out;
      if (blockSums)
        forChunks(b, loc, [&](Value c, int64_t w) {
          write(b, loc, zeros(w), part, ValueRange{c});
        });
      loop(b, loc, j0, end, c1, [&](Value j) {
        IRMapping pair = narrow;
        Buffers buffers = rowBuffers;
        pairValues(j, pair, buffers, /*cloneRest=*/true);
        forChunks(b, loc, [&](Value c, int64_t w) {
          Value f = chunked() ? chunkOf(b, loc, {yield}, c, w, ins, i, j, pair,
                                        buffers)[0]
                              : pair.lookup(yield);
          Value sum = arith::AddFOp::create(
              b, loc, read(b, loc, sums, sumsAt(c), w), f);
          write(b, loc, sum, sums, sumsAt(c));
        });
      });
      if (blockSums)
        forChunks(b, loc, [&](Value c, int64_t w) {
          Value total = read(b, loc, out, ValueRange{i, c}, w);
          Value sum = arith::AddFOp::create(
              b, loc, total, read(b, loc, part, ValueRange{c}, w));
          write(b, loc, sum, out, ValueRange{i, c});
        });
    });
  });
  for (Value mem : allocated)
    memref::DeallocOp::create(b, loc, mem);
  return success();
}
