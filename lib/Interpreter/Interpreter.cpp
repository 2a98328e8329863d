//===- Interpreter.cpp - reference evaluation of reductions and functions -===//

#include "keops/Interpreter/Interpreter.h"
#include "Reductions.h"

#include "keops/Dialect/Ranges.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"

#include <cmath>
#include <unistd.h>

using namespace mlir;
using namespace mlir::keops;

using Vec = std::vector<double>;

int64_t HostArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

HostArray HostArray::zeros(std::vector<int64_t> shape, bool isIndex) {
  HostArray a;
  a.shape = std::move(shape);
  a.data.assign(a.numElements(), 0.0);
  a.isIndex = isIndex;
  return a;
}

std::string HostArray::sizeError(llvm::ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "(";
  llvm::interleaveComma(shape, os);
  os << (shape.size() == 1 ? ",)" : ")");
  uint64_t elements = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return "an array of shape " + text + " has a negative extent";
    if (d && elements > (uint64_t(1) << 60) / uint64_t(d))
      return "an array of shape " + text + " has too many elements";
    elements *= uint64_t(d);
  }
  static const uint64_t physical = [] {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? uint64_t(pages) * uint64_t(size) : 0;
  }();
  uint64_t bytes = elements * sizeof(double);
  if (physical && bytes > physical)
    return "an array of shape " + text + " would take " +
           std::to_string(bytes >> 30) + " GiB, more than the " +
           std::to_string(physical >> 30) + " GiB of memory of this machine";
  return "";
}

void keops::roundToType(HostArray &array, Type type) {
  auto ft = dyn_cast<FloatType>(type);
  if (!ft || ft.isF64())
    return;
  for (double &v : array.data) {
    llvm::APFloat f(v);
    bool lost;
    f.convert(ft.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven,
              &lost);
    v = f.convertToDouble();
  }
}

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "(";
  for (size_t k = 0; k < shape.size(); ++k)
    s += (k ? ", " : "") + std::to_string(shape[k]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

/// Checks an array against a shaped type: rank and static extents.
static LogicalResult checkShape(Operation *op, StringRef what,
                                const HostArray &array, ShapedType type) {
  bool ok = static_cast<int64_t>(array.shape.size()) == type.getRank();
  for (int64_t k = 0; ok && k < type.getRank(); ++k)
    ok = type.isDynamicDim(k) || type.getDimSize(k) == array.shape[k];
  if (!ok)
    return op->emitError() << what << " has shape " << shapeString(array.shape)
                           << ", which does not fit " << type;
  return success();
}

/// Checks that an array given for an integer (index) type holds integers
/// that the type can represent.
static LogicalResult checkIntegers(Operation *op, StringRef what,
                                   const HostArray &array, ShapedType type) {
  auto intType = dyn_cast<IntegerType>(type.getElementType());
  if (!intType)
    return success();
  if (!array.isIndex)
    return op->emitError() << what << " holds floating-point values but its "
                           << "element type is " << intType
                           << " (indices): give an integer array (int32 or "
                              "int64)";
  // Doubles hold i64 values beyond 2^53 rounded: INT64_MAX reads as 2^63,
  // which is let through (such indices select nothing anyway).
  unsigned bits = intType.getWidth();
  double lo = -std::ldexp(1.0, bits - 1), hi = std::ldexp(1.0, bits - 1);
  for (double v : array.data) {
    if (v >= lo && (v < hi || (bits == 64 && v == hi)) && v == std::trunc(v))
      continue;
    std::string text;
    llvm::raw_string_ostream(text) << llvm::format("%.17g", v);
    return op->emitError() << what << " holds " << text
                           << ", which is not an " << intType << " value";
  }
  return success();
}

LogicalResult keops::reductionExtents(ReduceOp op,
                                      ArrayRef<std::vector<int64_t>> inShapes,
                                      ArrayRef<int64_t> outShape,
                                      SmallVectorImpl<int64_t> &batch,
                                      int64_t rows[2]) {
  int64_t batchRank = op.getBatchRank();
  rows[0] = rows[1] = -1;
  batch.assign(batchRank, -1);
  if (!outShape.empty())
    for (int64_t a = 0; a < batchRank; ++a)
      batch[a] = outShape[a];
  for (auto [index, input] : llvm::enumerate(op.getIns())) {
    ArrayRef<int64_t> shape = inShapes[index];
    auto type = cast<ShapedType>(input.getType());
    for (int64_t a = 0; a < batchRank; ++a) {
      if (ReduceOp::isBroadcastAxis(type, a))
        continue;
      if (batch[a] >= 0 && batch[a] != shape[a])
        return op.emitError()
               << "input #" << index << " has " << shape[a]
               << " elements on batch axis " << a << " but "
               << (outShape.empty() ? "an earlier input has "
                                    : "the outputs have ")
               << batch[a];
      batch[a] = shape[a];
    }
    Category cat = op.getCategory(index);
    if (cat == Category::P)
      continue;
    int64_t &seen = rows[static_cast<int>(cat)];
    if (seen >= 0 && seen != shape[batchRank])
      return op.emitError() << "input #" << index << " has "
                            << shape[batchRank] << " rows but an earlier "
                            << stringifyCategory(cat) << " variable has "
                            << seen;
    seen = shape[batchRank];
  }
  for (int64_t &extent : batch)
    extent = std::max<int64_t>(extent, 1);
  int kept = static_cast<int>(op.getKeptCategory());
  if (!outShape.empty()) {
    int64_t keptRows = outShape[batchRank];
    if (rows[kept] >= 0 && rows[kept] != keptRows)
      return op.emitError() << "the outputs have " << keptRows
                            << " rows but the variables have " << rows[kept];
    rows[kept] = keptRows;
  }
  if (rows[kept] < 0)
    return op.emitError() << "the number of output rows is unknown: no "
                          << stringifyCategory(op.getKeptCategory())
                          << " variable and no output size";
  return success();
}

/// The range table of `op` for arrays `ranges` (its six ranges operands, or
/// none) and the batch extents `batch`: one block of every row with the
/// interval [0, cols) when the reduction is dense; per batch element
/// (RangeTable::element) when the ranges are.
static FailureOr<RangeTable> rangeTableOf(ReduceOp op,
                                          ArrayRef<HostArray> ranges,
                                          ArrayRef<int64_t> batch, int64_t m,
                                          int64_t n) {
  RangeTable table;
  if (!op.hasRanges()) {
    bool overJ = op.getAxis() == Axis::J;
    table.blocks = {0, overJ ? m : n};
    table.counts = {1};
    table.intervals = {0, overJ ? n : m};
    return table;
  }
  bool perElement = op.hasBatchedRanges();
  int64_t elements = 1;
  for (int64_t extent : batch)
    elements *= extent;
  unsigned first = firstRangeArray(op.getAxis());
  std::vector<int64_t> values[3];
  for (unsigned a = 0; a < 3; ++a) {
    const HostArray &array = ranges[first + a];
    auto type = cast<ShapedType>(op.getRanges()[first + a].getType());
    std::string what =
        std::string("ranges array ") + rangeArrayName(first + a);
    if (failed(checkShape(op, what, array, type)) ||
        failed(checkIntegers(op, what, array, type)))
      return failure();
    if (perElement &&
        !llvm::equal(ArrayRef<int64_t>(array.shape).take_front(batch.size()),
                     batch))
      return op.emitError() << what << " has batch extents that are not "
                            << "the reduction's";
    values[a].assign(array.data.begin(), array.data.end());
  }
  std::string error =
      perElement ? buildRangeTables(op.getAxis(), values[0], values[1],
                                    values[2], elements, m, n, table)
                 : buildRangeTable(op.getAxis(), values[0], values[1],
                                   values[2], m, n, table);
  if (!error.empty())
    return op.emitError() << error;
  return table;
}

FailureOr<std::vector<HostArray>>
keops::interpretReduce(ReduceOp op, ArrayRef<HostArray> inputs,
                       ArrayRef<int64_t> outShape) {
  // A state's layout is the compiler's protocol (Accumulator), which the
  // reference does not model: it checks the finalized results instead.
  if (op.getPartial())
    return op.emitError() << "is a partial reduction: the reference "
                             "interpreter evaluates whole reductions only "
                             "(finalize the merged states with a compiled "
                             "backend to compare)";
  size_t numIns = op.getIns().size();
  if (inputs.size() != numIns + op.getRanges().size())
    return op.emitError() << "expects " << numIns << " input arrays"
                          << (op.hasRanges() ? " and 6 ranges arrays" : "")
                          << ", got " << inputs.size() << " arrays";
  ArrayRef<HostArray> rangeArrays = inputs.drop_front(numIns);
  inputs = inputs.take_front(numIns);
  std::vector<std::vector<int64_t>> shapes;
  for (auto [index, input] : llvm::enumerate(op.getIns())) {
    const HostArray &array = inputs[index];
    if (failed(checkShape(op, ("input #" + Twine(index)).str(), array,
                          cast<ShapedType>(input.getType()))) ||
        failed(checkIntegers(op, ("input #" + Twine(index)).str(), array,
                             cast<ShapedType>(input.getType()))))
      return failure();
    shapes.push_back(array.shape);
  }
  SmallVector<int64_t> batch;
  int64_t rows[2];
  if (failed(reductionExtents(op, shapes, outShape, batch, rows)))
    return failure();
  int kept = static_cast<int>(op.getKeptCategory());
  int64_t numKept = rows[kept], numReduced = std::max<int64_t>(
                                    rows[1 - kept], 0);
  int64_t numBatch = 1;
  for (int64_t extent : batch)
    numBatch *= extent;
  FailureOr<RangeTable> tables = rangeTableOf(
      op, rangeArrays, batch, std::max<int64_t>(rows[0], 0),
      std::max<int64_t>(rows[1], 0));
  if (failed(tables))
    return failure();

  YieldOp yield = op.getYield();
  int64_t fdim = formulaDim(yield.getValues()[0]);
  int64_t wdim =
      yield.getValues().size() == 2 ? formulaDim(yield.getValues()[1]) : 0;
  int64_t k = op.getK() ? static_cast<int64_t>(*op.getK()) : 1;

  std::vector<HostArray> outputs;
  for (auto [index, out] : llvm::enumerate(op.getOuts())) {
    std::vector<int64_t> shape(batch.begin(), batch.end());
    shape.push_back(numKept);
    shape.push_back(cast<ShapedType>(out.getType()).getShape().back());
    if (std::string why = HostArray::sizeError(shape); !why.empty())
      return op.emitError() << "output #" << index << ": " << why;
    outputs.push_back(HostArray::zeros(
        shape, ReduceOp::isIndexOutput(op.getKind(), index)));
  }

  // Per input: the broadcast batch axes and the values of one batch element.
  std::vector<SmallVector<bool>> broadcast;
  std::vector<int64_t> elementSize;
  for (auto [index, array] : llvm::enumerate(inputs)) {
    broadcast.push_back(op.getBroadcastAxes(index));
    int64_t size = 1;
    for (int64_t d : ArrayRef<int64_t>(array.shape).drop_front(
             op.getBatchRank()))
      size *= d;
    elementSize.push_back(size);
  }

  std::vector<Vec> vars(inputs.size());
  std::vector<int64_t> base(inputs.size());
  for (int64_t b = 0; b < numBatch; ++b) {
    // Where batch element b of each input starts.
    for (size_t index = 0; index < inputs.size(); ++index)
      base[index] =
          batchElementOf(batch, broadcast[index], b) * elementSize[index];
    RangeTable element;
    const RangeTable *table = &*tables;
    if (tables->numElements())
      table = &(element = tables->element(b));
    std::vector<int64_t> columns; // the reduced indices of a block's rows
    for (int64_t r = 0, block = -1; r < numKept; ++r) {
      if (block < 0 || table->blocks[2 * block + 1] <= r) {
        while (table->blocks[2 * ++block + 1] <= r) {
        }
        columns.clear();
        for (int64_t s = table->firstInterval(block); s < table->counts[block];
             ++s)
          for (int64_t c = table->intervals[2 * s];
               c < table->intervals[2 * s + 1]; ++c)
            columns.push_back(c);
      }
      std::vector<Vec> f, w;
      for (int64_t c : columns) {
        for (auto [index, array] : llvm::enumerate(inputs)) {
          Category cat = op.getCategory(index);
          int64_t dim = array.shape.back();
          int64_t row = cat == Category::P ? 0
                        : static_cast<int>(cat) == kept ? r
                                                        : c;
          int64_t at = base[index] + row * dim;
          vars[index].assign(array.data.begin() + at,
                             array.data.begin() + at + dim);
        }
        FailureOr<std::vector<Vec>> value =
            kept == 0 ? evaluateFormula(op, vars, r, c)
                      : evaluateFormula(op, vars, c, r);
        if (failed(value))
          return failure();
        f.push_back(std::move((*value)[0]));
        if (value->size() == 2)
          w.push_back(std::move((*value)[1]));
      }
      Vec values, indices;
      detail::reduceRow(op.getKind(), k, f, w, fdim, wdim, values, indices);
      // reduceRow gives positions in `columns`; the indices are columns.
      for (double &index : indices)
        if (index >= 0)
          index = double(columns[static_cast<size_t>(index)]);
      for (HostArray &out : outputs) {
        const Vec &row = out.isIndex ? indices : values;
        int64_t width = out.shape.back();
        std::copy(row.begin(), row.end(),
                  out.data.begin() + (b * numKept + r) * width);
      }
    }
  }
  return outputs;
}

FailureOr<std::vector<HostArray>>
keops::interpretFunction(func::FuncOp fn, ArrayRef<HostArray> args,
                         const ReduceEvaluator &evaluator) {
  if (fn.isExternal())
    return fn.emitError() << "has no body to interpret";
  if (args.size() != fn.getNumArguments())
    return fn.emitError() << "takes " << fn.getNumArguments()
                          << " arguments, got " << args.size() << " arrays";
  llvm::DenseMap<Value, HostArray> arrays;
  llvm::DenseMap<Value, int64_t> indices;
  llvm::SetVector<Value> written;
  for (auto [arg, array] : llvm::zip(fn.getArguments(), args)) {
    if (auto shaped = dyn_cast<ShapedType>(arg.getType())) {
      std::string what = ("argument #" + Twine(arg.getArgNumber())).str();
      if (failed(checkShape(fn, what, array, shaped)))
        return failure();
      // Index variables must be given integers (index outputs are only
      // written).
      bool isInput = llvm::any_of(arg.getUses(), [](OpOperand &use) {
        auto reduce = dyn_cast<ReduceOp>(use.getOwner());
        return reduce && use.getOperandNumber() < reduce.getIns().size();
      });
      if (isInput && failed(checkIntegers(fn, what, array, shaped)))
        return failure();
    }
    arrays[arg] = array;
  }
  std::vector<HostArray> results;
  for (Operation &op : fn.getBody().front()) {
    auto arrayOf = [&](Value v) -> const HostArray * {
      auto it = arrays.find(v);
      return it == arrays.end() ? nullptr : &it->second;
    };
    auto indexValue = [&](OpFoldResult r) -> std::optional<int64_t> {
      if (auto attr = dyn_cast<Attribute>(r))
        return cast<IntegerAttr>(attr).getInt();
      auto it = indices.find(cast<Value>(r));
      if (it == indices.end())
        return std::nullopt;
      return it->second;
    };
    auto shapeOf = [&](Operation *, RankedTensorType type,
                       ValueRange dynamicSizes,
                       std::vector<int64_t> &shape) -> LogicalResult {
      unsigned dyn = 0;
      for (int64_t d : type.getShape()) {
        if (!ShapedType::isDynamic(d)) {
          shape.push_back(d);
          continue;
        }
        auto it = indices.find(dynamicSizes[dyn++]);
        if (it == indices.end())
          return failure();
        shape.push_back(it->second);
      }
      return success();
    };
    LogicalResult status =
        llvm::TypeSwitch<Operation *, LogicalResult>(&op)
            .Case([&](ReduceOp reduce) -> LogicalResult {
              std::vector<HostArray> ins;
              SmallVector<Value> read(reduce.getIns());
              llvm::append_range(read, reduce.getRanges());
              for (Value v : read) {
                const HostArray *a = arrayOf(v);
                if (!a)
                  return reduce.emitError()
                         << "an input is not an array the interpreter knows";
                ins.push_back(*a);
              }
              const HostArray *out0 = arrayOf(reduce.getOuts()[0]);
              if (!out0)
                return reduce.emitError()
                       << "an output is not an array the interpreter knows";
              auto outs = evaluator
                              ? evaluator(reduce, ins, out0->shape)
                              : interpretReduce(reduce, ins, out0->shape);
              if (failed(outs))
                return failure();
              for (auto [index, out] : llvm::enumerate(reduce.getOuts())) {
                if (failed(checkShape(reduce, ("output #" + Twine(index)).str(),
                                      (*outs)[index],
                                      cast<ShapedType>(out.getType()))))
                  return failure();
                if (reduce.getResults().empty()) {
                  arrays[out] = (*outs)[index];
                  written.insert(out);
                } else {
                  arrays[reduce.getResult(index)] = (*outs)[index];
                }
              }
              return success();
            })
            .Case([&](arith::ConstantIndexOp c) -> LogicalResult {
              indices[c] = c.value();
              return success();
            })
            .Case([&](tensor::DimOp dim) -> LogicalResult {
              const HostArray *a = arrayOf(dim.getSource());
              std::optional<int64_t> k = dim.getConstantIndex();
              if (!a || !k || *k < 0 ||
                  *k >= static_cast<int64_t>(a->shape.size()))
                return dim.emitError() << "cannot be evaluated";
              indices[dim] = a->shape[*k];
              return success();
            })
            .Case([&](tensor::EmptyOp empty) -> LogicalResult {
              RankedTensorType type = empty.getType();
              std::vector<int64_t> shape;
              if (failed(shapeOf(empty, type, empty.getDynamicSizes(), shape)))
                return empty.emitError() << "has a size the interpreter "
                                            "cannot evaluate";
              if (std::string why = HostArray::sizeError(shape); !why.empty())
                return empty.emitError() << why;
              arrays[empty] = HostArray::zeros(
                  shape, isa<IntegerType>(type.getElementType()));
              return success();
            })
            .Case([&](arith::ConstantFloatOp c) -> LogicalResult {
              HostArray scalar = HostArray::zeros({});
              scalar.data[0] = c.value().convertToDouble();
              arrays[c] = scalar;
              return success();
            })
            .Case([&](tensor::SplatOp splat) -> LogicalResult {
              const HostArray *value = arrayOf(splat.getInput());
              std::vector<int64_t> shape;
              if (!value || failed(shapeOf(splat, splat.getType(),
                                           splat.getDynamicSizes(), shape)))
                return splat.emitError() << "cannot be evaluated";
              if (std::string why = HostArray::sizeError(shape); !why.empty())
                return splat.emitError() << why;
              HostArray a = HostArray::zeros(shape);
              std::fill(a.data.begin(), a.data.end(), value->data[0]);
              arrays[splat] = a;
              return success();
            })
            .Case([&](tensor::CastOp cast) -> LogicalResult {
              const HostArray *a = arrayOf(cast.getSource());
              if (!a)
                return cast.emitError() << "cannot be evaluated";
              if (failed(checkShape(cast, "the cast array", *a,
                                    cast.getType())))
                return failure();
              arrays[cast] = *a;
              return success();
            })
            .Case([&](tensor::ExtractSliceOp slice) -> LogicalResult {
              // A block of an array (batch elements, rows, columns),
              // possibly dropping unit dimensions.
              const HostArray *a = arrayOf(slice.getSource());
              int64_t rank = slice.getSourceType().getRank();
              std::vector<int64_t> at, size;
              bool ok = a && static_cast<int64_t>(a->shape.size()) == rank &&
                        slice.hasUnitStride();
              for (int64_t d = 0; ok && d < rank; ++d) {
                auto offset = indexValue(slice.getMixedOffsets()[d]);
                auto extent = indexValue(slice.getMixedSizes()[d]);
                ok = offset && extent && *offset >= 0 && *extent >= 0 &&
                     *offset + *extent <= a->shape[d];
                if (ok) {
                  at.push_back(*offset);
                  size.push_back(*extent);
                }
              }
              if (!ok)
                return slice.emitError() << "cannot be evaluated (a slice "
                                            "within bounds, unit strides)";
              HostArray out = HostArray::zeros(size, a->isIndex);
              std::vector<int64_t> index(rank, 0);
              for (size_t flat = 0; flat < out.data.size(); ++flat) {
                // index: the position in `out`, row-major.
                int64_t from = 0;
                for (int64_t d = 0; d < rank; ++d)
                  from = from * a->shape[d] + at[d] + index[d];
                out.data[flat] = a->data[from];
                for (int64_t d = rank - 1; d >= 0 && ++index[d] == size[d]; --d)
                  index[d] = 0;
              }
              llvm::SmallBitVector dropped = slice.getDroppedDims();
              out.shape.clear();
              for (int64_t d = 0; d < rank; ++d)
                if (!dropped.test(d))
                  out.shape.push_back(size[d]);
              if (failed(checkShape(slice, "the slice", out, slice.getType())))
                return failure();
              arrays[slice] = out;
              return success();
            })
            .Case([&](UnbroadcastOp sum) -> LogicalResult {
              const HostArray *a = arrayOf(sum.getInput());
              if (!a)
                return sum.emitError() << "cannot be evaluated";
              int64_t rank = a->shape.size();
              std::vector<int64_t> shape(a->shape);
              for (int64_t d = 0; d < rank; ++d)
                if (sum.isSummedAxis(d))
                  shape[d] = 1;
              HostArray out = HostArray::zeros(shape);
              std::vector<int64_t> index(rank, 0);
              for (size_t flat = 0; flat < a->data.size(); ++flat) {
                int64_t to = 0;
                for (int64_t d = 0; d < rank; ++d)
                  to = to * shape[d] + (shape[d] == 1 ? 0 : index[d]);
                out.data[to] += a->data[flat];
                for (int64_t d = rank - 1; d >= 0 && ++index[d] == a->shape[d];
                     --d)
                  index[d] = 0;
              }
              arrays[sum] = out;
              return success();
            })
            .Case([&](func::ReturnOp ret) -> LogicalResult {
              for (Value v : ret.getOperands()) {
                const HostArray *a = arrayOf(v);
                if (!a)
                  return ret.emitError() << "returns a value that is not an "
                                            "array the interpreter knows";
                results.push_back(*a);
              }
              if (ret.getNumOperands() == 0)
                for (Value v : written)
                  results.push_back(arrays[v]);
              return success();
            })
            .Default([](Operation *other) -> LogicalResult {
              return other->emitOpError()
                     << "is not supported by the interpreter outside a "
                        "formula";
            });
    if (failed(status))
      return failure();
  }
  return results;
}
