//===- FunctionPlan.cpp - running whole functions of a compiled module ---===//
//
// A function of a keops module is a small dataflow graph over arrays:
// reductions (one kernel each), the allocations that hold their outputs,
// column slices of them, zeros, and the results. After differentiation a
// gradient is such a graph (a reduction of per-row partials feeds another,
// results are column slices of packed outputs). The plan records it before
// the lowering erases the functions, and runs it with the kernels: callers
// need no knowledge of how the differentiation pass packed its outputs.
//
// In a function with batch axes (those of its reductions) every array holds
// its batch elements one after the other; the gradient of an input
// broadcast along a batch axis ends with keops.unbroadcast, a sum over that
// axis, which the plan runs as a step of its own.
//
//===----------------------------------------------------------------------===//

#include "FunctionPlan.h"
#include "GpuModule.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cstring>

using namespace mlir;
using namespace mlir::keops;
using namespace mlir::keops::runtime;

namespace {

/// The array of a value of type `type` in a function with `batchRank`
/// batch axes.
FunctionPlan::Array arrayOfType(Type type, int64_t batchRank) {
  FunctionPlan::Array a;
  auto shaped = cast<RankedTensorType>(type);
  a.oneDim = shaped.getRank() == batchRank + 1;
  a.width = shaped.getShape().back();
  a.bits = shaped.getElementType().getIntOrFloatBitWidth();
  a.isInteger = isa<IntegerType>(shaped.getElementType());
  for (int64_t axis = 0; axis < batchRank; ++axis)
    a.batchExtents.push_back(shaped.isDynamicDim(axis)
                                 ? -1
                                 : shaped.getDimSize(axis));
  return a;
}

/// The batch rank of the reductions of `fn`, or -1 if they differ.
int64_t batchRankOf(func::FuncOp fn) {
  int64_t rank = 0;
  bool first = true;
  for (auto reduce : fn.getBody().front().getOps<ReduceOp>()) {
    if (!first && reduce.getBatchRank() != rank)
      return -1;
    rank = reduce.getBatchRank();
    first = false;
  }
  return rank;
}

/// Builds the plan of `fn`, whose reductions are kernels `firstKernel`...
FunctionPlan buildPlan(func::FuncOp fn, size_t firstKernel) {
  FunctionPlan plan;
  plan.name = fn.getSymName().str();
  llvm::DenseMap<Value, int64_t> arrayOf;       // tensors -> arrays
  llvm::DenseMap<Value, int64_t> rowsOf;        // index values -> rows of
  llvm::DenseSet<Value> batchSizes;             // index values: batch extents
  llvm::DenseMap<Value, FunctionPlan::Result> views; // column slices
  auto fail = [&](Operation *op, const Twine &why) {
    if (plan.unsupported.empty())
      plan.unsupported = ("function '" + plan.name + "' cannot be run: '" +
                          op->getName().getStringRef() + "' " + why)
                             .str();
  };
  int64_t batchRank = batchRankOf(fn);
  if (batchRank < 0) {
    plan.unsupported = "function '" + plan.name +
                       "' cannot be run: its reductions have different "
                       "numbers of batch axes";
    return plan;
  }
  plan.batchRank = batchRank;
  // Whether a type is one of an array of the plan: rows x D or D, after
  // the batch axes.
  auto isArrayType = [&](Type type) {
    auto shaped = dyn_cast<RankedTensorType>(type);
    return shaped && (shaped.getRank() == batchRank + 1 ||
                      shaped.getRank() == batchRank + 2);
  };
  // Arguments read as ranges, and whether one per batch element.
  llvm::DenseMap<Value, bool> rangesArgs;
  for (auto reduce : fn.getBody().front().getOps<ReduceOp>())
    for (Value v : reduce.getRanges())
      if (isa<BlockArgument>(v))
        rangesArgs[v] = reduce.hasBatchedRanges();
  for (BlockArgument arg : fn.getArguments()) {
    if (rangesArgs.contains(arg)) {
      // Shared by the batch elements, or one per element (the batch axes
      // in front, ReduceOp::verifyRanges).
      bool shared = !rangesArgs.lookup(arg);
      FunctionPlan::Array a = arrayOfType(arg.getType(), shared ? 0 : batchRank);
      a.ranges = true;
      a.width = a.oneDim ? 1 : a.width;
      a.batchExtents.assign(batchRank, shared ? 1 : -1);
      a.argument = arg.getArgNumber();
      arrayOf[arg] = plan.arrays.size();
      plan.arrays.push_back(a);
      continue;
    }
    if (!isArrayType(arg.getType())) {
      plan.unsupported =
          "function '" + plan.name + "' cannot be run: its arguments must be " +
          (batchRank ? "arrays with its " + std::to_string(batchRank) +
                           " batch axes, then rows x D or D"
                     : std::string("1-D or 2-D tensors"));
      return plan;
    }
    FunctionPlan::Array a = arrayOfType(arg.getType(), batchRank);
    a.argument = arg.getArgNumber();
    arrayOf[arg] = plan.arrays.size();
    plan.arrays.push_back(a);
  }
  // A temporary with the type of `type` and the rows of array `like`.
  auto temporary = [&](Type type, int64_t like) {
    FunctionPlan::Array a = arrayOfType(type, batchRank);
    auto shaped = cast<RankedTensorType>(type);
    if (!a.oneDim && !shaped.isDynamicDim(batchRank))
      a.staticRows = shaped.getDimSize(batchRank);
    else if (!a.oneDim)
      a.rowsOf = like;
    plan.arrays.push_back(a);
    return int64_t(plan.arrays.size() - 1);
  };
  // The array holding `v`: a column slice used as an array is copied into
  // a temporary first. -1 if unknown.
  auto arrayFor = [&](Value v) -> int64_t {
    if (auto it = arrayOf.find(v); it != arrayOf.end())
      return it->second;
    auto view = views.find(v);
    if (view == views.end())
      return -1;
    const FunctionPlan::Result r = view->second;
    int64_t a = temporary(v.getType(), r.array);
    FunctionPlan::Step copy{FunctionPlan::Step::npos, {r.array}, {a}};
    copy.column = r.column;
    plan.steps.push_back(std::move(copy));
    arrayOf[v] = a;
    return a;
  };
  // A temporary for a tensor.empty or tensor.splat: its dynamic batch
  // extents are those of the function, its dynamic row count a tensor.dim
  // of a known array. -1 (and a failure) otherwise.
  auto allocate = [&](Operation *op, Type type, ValueRange sizes) -> int64_t {
    if (!isArrayType(type)) {
      fail(op, "does not have the shape of an array of the function");
      return -1;
    }
    auto shaped = cast<RankedTensorType>(type);
    int64_t like = -1;
    unsigned next = 0;
    for (int64_t axis = 0; axis < shaped.getRank(); ++axis) {
      if (!shaped.isDynamicDim(axis))
        continue;
      Value size = sizes[next++];
      bool known = axis < batchRank ? batchSizes.contains(size)
                                    : rowsOf.contains(size);
      if (!known || axis > batchRank) {
        fail(op, "has a size the runtime cannot evaluate");
        return -1;
      }
      if (axis == batchRank)
        like = rowsOf.lookup(size);
    }
    return temporary(type, like);
  };
  size_t kernel = firstKernel;
  for (Operation &op : fn.getBody().front()) {
    llvm::TypeSwitch<Operation *>(&op)
        .Case([&](arith::ConstantOp) {})
        .Case([&](tensor::DimOp dim) {
          int64_t a = -1;
          if (auto v = views.find(dim.getSource()); v != views.end())
            a = v->second.array; // a slice has the rows of its array
          else if (auto it = arrayOf.find(dim.getSource()); it != arrayOf.end())
            a = it->second;
          std::optional<int64_t> axis = dim.getConstantIndex();
          if (a < 0 || !axis || *axis > batchRank)
            return fail(&op, "is not the rows or a batch extent of a known "
                             "array");
          if (*axis == batchRank && plan.arrays[a].oneDim)
            return fail(&op, "is not the rows or a batch extent of a known "
                             "array");
          if (*axis < batchRank)
            batchSizes.insert(dim);
          else
            rowsOf[dim] = a;
        })
        .Case([&](tensor::EmptyOp empty) {
          int64_t a = allocate(&op, empty.getType(), empty.getDynamicSizes());
          if (a >= 0)
            arrayOf[empty] = a;
        })
        .Case([&](tensor::SplatOp splat) {
          // Temporaries start as zeros: only zero splats are needed.
          auto cst = splat.getInput().getDefiningOp<arith::ConstantOp>();
          auto value = cst ? dyn_cast<FloatAttr>(cst.getValue()) : nullptr;
          if (!value || !value.getValue().isZero())
            return fail(&op, "is not a splat of zero");
          int64_t a = allocate(&op, splat.getType(), splat.getDynamicSizes());
          if (a >= 0)
            arrayOf[splat] = a;
        })
        .Case([&](ReduceOp reduce) {
          FunctionPlan::Step step{kernel++, {}, {}};
          for (Value in : reduce.getIns()) {
            int64_t a = arrayFor(in);
            if (a < 0)
              return fail(&op, "reads an array the runtime does not know");
            step.inputs.push_back(a);
          }
          for (Value r : reduce.getRanges()) {
            auto it = arrayOf.find(r);
            if (it == arrayOf.end() || !plan.arrays[it->second].ranges)
              return fail(&op, "reads ranges that are not arguments of the "
                               "function");
            step.ranges.push_back(it->second);
          }
          // Outputs go to fresh temporaries: the function's arguments are
          // never written.
          for (auto [out, result] :
               llvm::zip(reduce.getOuts(), reduce.getResults())) {
            int64_t init = arrayFor(out);
            if (init < 0)
              return fail(&op, "writes an array the runtime does not know");
            int64_t a = temporary(out.getType(), init);
            step.outputs.push_back(a);
            arrayOf[result] = a;
          }
          plan.steps.push_back(std::move(step));
        })
        .Case([&](tensor::ExtractSliceOp slice) {
          // Whole batch elements and rows, fixed columns; a parameter's
          // gradient drops the one row of a one-row array.
          auto it = arrayOf.find(slice.getSource());
          RankedTensorType source = slice.getSourceType();
          int64_t last = source.getRank() - 1;
          bool ok = it != arrayOf.end() && slice.hasUnitStride() &&
                    !ShapedType::isDynamic(slice.getStaticOffsets()[last]) &&
                    !ShapedType::isDynamic(slice.getStaticSizes()[last]);
          for (int64_t axis = 0; ok && axis < last; ++axis) {
            int64_t size = slice.getStaticSizes()[axis];
            ok = slice.getStaticOffsets()[axis] == 0 &&
                 (ShapedType::isDynamic(size)
                      ? source.isDynamicDim(axis)
                      : size == source.getDimSize(axis));
          }
          bool dropsRow = slice.getType().getRank() == last;
          if (!ok || (dropsRow && source.getDimSize(last - 1) != 1))
            return fail(&op, "is not a slice of whole rows and fixed columns");
          views[slice] = FunctionPlan::Result{
              it->second, slice.getStaticOffsets()[last],
              slice.getStaticSizes()[last], dropsRow};
        })
        .Case([&](UnbroadcastOp sum) {
          int64_t from = arrayFor(sum.getInput());
          if (from < 0)
            return fail(&op, "reads an array the runtime does not know");
          for (int64_t axis = batchRank; axis < sum.getType().getRank();
               ++axis)
            if (sum.isSummedAxis(axis))
              return fail(&op, "sums over an axis that is not a batch axis");
          int64_t to = temporary(sum.getType(), from);
          FunctionPlan::Step step{FunctionPlan::Step::npos, {from}, {to}};
          step.unbroadcast = true;
          plan.steps.push_back(std::move(step));
          arrayOf[sum] = to;
        })
        .Case([&](tensor::CastOp cast) {
          if (auto it = arrayOf.find(cast.getSource()); it != arrayOf.end())
            arrayOf[cast] = it->second;
          else if (auto v = views.find(cast.getSource()); v != views.end())
            views[cast] = v->second;
          else
            fail(&op, "casts an array the runtime does not know");
        })
        .Case([&](func::ReturnOp ret) {
          for (Value v : ret.getOperands()) {
            if (auto it = views.find(v); it != views.end()) {
              plan.results.push_back(it->second);
            } else if (auto a = arrayOf.find(v); a != arrayOf.end()) {
              const FunctionPlan::Array &array = plan.arrays[a->second];
              plan.results.push_back(
                  {a->second, 0, array.width, array.oneDim});
            } else {
              return fail(&op, "returns a value the runtime does not know");
            }
          }
        })
        .Default([&](Operation *other) {
          fail(other, "is not supported by the runtime outside a formula");
        });
  }
  // Reductions nothing reads are not run: a gradient function that also
  // holds its forward reduction (which sum gradients do not read) costs only
  // its gradient reductions.
  llvm::DenseSet<int64_t> needed;
  for (const FunctionPlan::Result &r : plan.results)
    needed.insert(r.array);
  std::vector<FunctionPlan::Step> live;
  for (auto step = plan.steps.rbegin(); step != plan.steps.rend(); ++step) {
    if (llvm::none_of(step->outputs,
                      [&](int64_t a) { return needed.contains(a); }))
      continue;
    needed.insert(step->inputs.begin(), step->inputs.end());
    live.insert(live.begin(), *step);
  }
  plan.steps = std::move(live);
  return plan;
}

} // namespace

std::vector<FunctionPlan> runtime::buildFunctionPlans(ModuleOp module) {
  std::vector<FunctionPlan> plans;
  size_t kernel = 0;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isExternal())
      continue;
    plans.push_back(buildPlan(fn, kernel));
    fn.walk([&](ReduceOp) { ++kernel; });
  }
  return plans;
}

//===----------------------------------------------------------------------===//
// Running a plan
//===----------------------------------------------------------------------===//

/// Rows of every array of `plan` for arguments of `argRows` rows.
static std::vector<int64_t> rowsOfArrays(const FunctionPlan &plan,
                                         const int64_t *argRows) {
  std::vector<int64_t> rows(plan.arrays.size(), 1);
  for (size_t k = 0; k < plan.arrays.size(); ++k) {
    const FunctionPlan::Array &a = plan.arrays[k];
    if (a.oneDim)
      rows[k] = 1;
    else if (a.argument >= 0)
      rows[k] = argRows[a.argument];
    else if (a.rowsOf >= 0)
      rows[k] = rows[a.rowsOf];
    else
      rows[k] = a.staticRows;
  }
  return rows;
}

/// The batch extents of array `a`: 1 where it is broadcast.
static std::vector<int64_t> extentsOf(const FunctionPlan::Array &a,
                                      llvm::ArrayRef<int64_t> batch) {
  std::vector<int64_t> extents(batch.begin(), batch.end());
  for (auto [axis, extent] : llvm::enumerate(a.batchExtents))
    if (extent == 1)
      extents[axis] = 1;
  return extents;
}

static int64_t product(llvm::ArrayRef<int64_t> extents) {
  int64_t n = 1;
  for (int64_t e : extents)
    n *= e;
  return n;
}

/// Checks the batch extents given for `plan`: one per batch axis, none
/// negative, and equal to the static extents of the arguments' types.
static std::string checkBatch(const FunctionPlan &plan,
                              llvm::ArrayRef<int64_t> batch) {
  if (int64_t(batch.size()) != plan.batchRank)
    return "function '" + plan.name + "' has " +
           std::to_string(plan.batchRank) + " batch axes, got " +
           std::to_string(batch.size()) + " batch extents";
  for (auto [axis, extent] : llvm::enumerate(batch))
    if (extent < 0)
      return "batch extent " + std::to_string(extent) + " on axis " +
             std::to_string(axis) + " is negative";
  for (const FunctionPlan::Array &a : plan.arrays)
    for (auto [axis, extent] : llvm::enumerate(a.batchExtents))
      if (a.argument >= 0 && extent > 1 && extent != batch[axis])
        return "argument #" + std::to_string(a.argument) + " has " +
               std::to_string(extent) + " elements on batch axis " +
               std::to_string(axis) + ", but the batch has " +
               std::to_string(batch[axis]);
  return "";
}

std::string Module::resultShape(size_t function, size_t result,
                                const int64_t *argRows,
                                llvm::ArrayRef<int64_t> batch,
                                std::vector<int64_t> &extents, int64_t &rows,
                                int64_t &cols) const {
  if (function >= plans.size())
    return "function index " + std::to_string(function) + " out of range";
  const FunctionPlan &plan = plans[function];
  if (!plan.unsupported.empty())
    return plan.unsupported;
  if (result >= plan.results.size())
    return "function '" + plan.name + "' has " +
           std::to_string(plan.results.size()) + " results";
  if (std::string error = checkBatch(plan, batch); !error.empty())
    return error;
  const FunctionPlan::Result &r = plan.results[result];
  extents = extentsOf(plan.arrays[r.array], batch);
  rows = r.oneDim ? 1 : rowsOfArrays(plan, argRows)[r.array];
  cols = r.width;
  return "";
}

/// Whether an argument or a result of a function of a GPU module is in the
/// device's memory.
static bool anyOnDevice(const FunctionPlan &plan, const void *const *args,
                        void *const *results) {
  std::string ignored;
  cuda::Driver *driver = cuda::Driver::get(ignored);
  if (!driver)
    return false;
  for (const FunctionPlan::Array &a : plan.arrays)
    if (a.argument >= 0 && args[a.argument] &&
        driver->isDevicePointer(args[a.argument]))
      return true;
  for (size_t k = 0; k < plan.results.size(); ++k)
    if (results[k] && driver->isDevicePointer(results[k]))
      return true;
  return false;
}

/// to[0 .. count) += from[0 .. count), floating-point values of `bits` bits.
static void accumulate(char *to, const char *from, size_t count, int bits) {
  auto add = [&](auto zero) {
    using T = decltype(zero);
    T x, y;
    for (size_t k = 0; k < count; ++k) {
      std::memcpy(&x, to + k * sizeof(T), sizeof(T));
      std::memcpy(&y, from + k * sizeof(T), sizeof(T));
      x += y;
      std::memcpy(to + k * sizeof(T), &x, sizeof(T));
    }
  };
  if (bits == 64)
    return add(double());
  if (bits == 32)
    return add(float());
  // Half precision: through APFloat, rounding once per addition as a half
  // precision addition does.
  for (size_t k = 0; k < count; ++k) {
    uint16_t x, y;
    std::memcpy(&x, to + 2 * k, 2);
    std::memcpy(&y, from + 2 * k, 2);
    llvm::APFloat a(llvm::APFloat::IEEEhalf(), llvm::APInt(16, x));
    a.add(llvm::APFloat(llvm::APFloat::IEEEhalf(), llvm::APInt(16, y)),
          llvm::APFloat::rmNearestTiesToEven);
    x = uint16_t(a.bitcastToAPInt().getZExtValue());
    std::memcpy(to + 2 * k, &x, 2);
  }
}

/// Sums `from` (batch extents `fromExtents`, blocks of `block` elements of
/// `bits` bits) into `to`, over the axes where `toExtents` is 1.
static void sumOverBroadcastAxes(char *to, const char *from,
                                 llvm::ArrayRef<int64_t> fromExtents,
                                 llvm::ArrayRef<int64_t> toExtents,
                                 size_t block, int bits) {
  size_t bytes = block * (bits / 8);
  std::vector<int64_t> index(fromExtents.size(), 0);
  for (int64_t element = 0, n = product(fromExtents); element < n;
       ++element) {
    int64_t target = 0;
    for (size_t axis = 0; axis < index.size(); ++axis)
      target = target * toExtents[axis] +
               (toExtents[axis] == 1 ? 0 : index[axis]);
    accumulate(to + target * bytes, from + element * bytes, block, bits);
    for (int64_t axis = int64_t(index.size()) - 1;
         axis >= 0 && ++index[axis] == fromExtents[axis]; --axis)
      index[axis] = 0;
  }
}

std::string Module::runFunction(size_t function, const void *const *args,
                                const int64_t *argRows,
                                void *const *results, void *stream,
                                llvm::ArrayRef<int64_t> batch) const {
  if (function >= plans.size())
    return "function index " + std::to_string(function) + " out of range";
  const FunctionPlan &plan = plans[function];
  if (!plan.unsupported.empty())
    return plan.unsupported;
  if (std::string error = checkBatch(plan, batch); !error.empty())
    return error;
  for (const FunctionPlan::Array &a : plan.arrays)
    if (a.argument >= 0 && (!a.oneDim || a.ranges) && argRows[a.argument] < 0)
      return "argument #" + std::to_string(a.argument) +
             " has a negative number of rows";
  if (gpu && anyOnDevice(plan, args, results))
    return runFunctionThroughHost(function, args, argRows, results, stream,
                                  batch);
  std::vector<int64_t> rows = rowsOfArrays(plan, argRows);
  // Batch elements of each array.
  std::vector<int64_t> elements(plan.arrays.size());
  for (size_t k = 0; k < plan.arrays.size(); ++k)
    elements[k] = plan.arrays[k].elements(batch);
  // Temporaries, zero-initialized (empty reductions write nothing).
  std::vector<std::vector<char>> storage(plan.arrays.size());
  std::vector<const char *> data(plan.arrays.size(), nullptr);
  for (size_t k = 0; k < plan.arrays.size(); ++k) {
    const FunctionPlan::Array &a = plan.arrays[k];
    if (a.argument >= 0) {
      data[k] = static_cast<const char *>(args[a.argument]);
      continue;
    }
    storage[k].assign(size_t(elements[k]) * rows[k] * a.width * (a.bits / 8),
                      0);
    data[k] = storage[k].data();
  }
  for (const FunctionPlan::Step &step : plan.steps) {
    int64_t from = step.inputs[0], to = step.outputs[0];
    if (step.unbroadcast) {
      const FunctionPlan::Array &a = plan.arrays[to];
      sumOverBroadcastAxes(const_cast<char *>(data[to]), data[from],
                           extentsOf(plan.arrays[from], batch),
                           extentsOf(a, batch), size_t(rows[to]) * a.width,
                           a.bits);
      continue;
    }
    if (step.kernel == FunctionPlan::Step::npos) {
      size_t elt = plan.arrays[to].bits / 8;
      int64_t width = plan.arrays[to].width, stride = plan.arrays[from].width;
      for (int64_t row = 0; row < elements[to] * rows[to]; ++row)
        std::memcpy(const_cast<char *>(data[to]) + row * width * elt,
                    data[from] + (row * stride + step.column) * elt,
                    width * elt);
      continue;
    }
    const KernelInfo &info = infos[step.kernel];
    std::vector<const void *> ins;
    std::vector<void *> outs;
    int64_t m = -1, n = -1;
    for (auto [index, a] : llvm::enumerate(step.inputs)) {
      if (!data[a] && rows[a] * elements[a] != 0)
        return "argument #" + std::to_string(plan.arrays[a].argument) +
               " is read by a reduction but is a null pointer";
      ins.push_back(data[a]);
      Category c = info.categories[index];
      if (c == Category::P)
        continue;
      // Every i (j) variable of a reduction has M (N) rows: a shorter one
      // would be read past its end.
      int64_t &want = c == Category::I ? m : n;
      if (want >= 0 && rows[a] != want) {
        int64_t arg = plan.arrays[a].argument;
        return (arg >= 0 ? "argument #" + std::to_string(arg)
                         : std::string("an intermediate array")) +
               " has " + std::to_string(rows[a]) + " rows, but the other " +
               (c == Category::I ? "i" : "j") + " variables of its " +
               "reduction have " + std::to_string(want);
      }
      want = rows[a];
    }
    for (int64_t a : step.outputs)
      outs.push_back(const_cast<char *>(data[a]));
    int64_t kept = rows[step.outputs.front()];
    int64_t &keptRows = info.axis == Axis::J ? m : n;
    if (keptRows >= 0 && keptRows != kept)
      return "a reduction writes " + std::to_string(kept) +
             " rows, but its " + (info.axis == Axis::J ? "i" : "j") +
             " variables have " + std::to_string(keptRows);
    keptRows = kept;
    // The kernel's batch: that of its outputs.
    std::vector<int64_t> kernelBatch =
        extentsOf(plan.arrays[step.outputs.front()], batch);
    RangesArg ranges;
    for (auto [k, a] : llvm::enumerate(step.ranges)) {
      ranges.arrays[k] = data[a];
      ranges.lengths[k] = argRows[plan.arrays[a].argument];
      ranges.bits = plan.arrays[a].bits;
      if (info.batchedRanges)
        ranges.elements = elements[a];
    }
    std::string error = run(step.kernel, ins.data(), outs.data(),
                            std::max<int64_t>(m, 0), std::max<int64_t>(n, 0),
                            nullptr, kernelBatch,
                            step.ranges.empty() ? nullptr : &ranges);
    if (!error.empty())
      return error;
  }
  for (auto [k, r] : llvm::enumerate(plan.results)) {
    int64_t count = (r.oneDim ? 1 : rows[r.array]) * elements[r.array];
    if (!results[k] && count != 0)
      return "result #" + std::to_string(k) + " is a null pointer";
    const FunctionPlan::Array &a = plan.arrays[r.array];
    size_t elt = a.bits / 8;
    for (int64_t row = 0; row < count; ++row)
      std::memcpy(static_cast<char *>(results[k]) + row * r.width * elt,
                  data[r.array] + (row * a.width + r.column) * elt,
                  r.width * elt);
  }
  return "";
}
