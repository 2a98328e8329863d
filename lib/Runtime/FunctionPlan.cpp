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
//===----------------------------------------------------------------------===//

#include "FunctionPlan.h"
#include "GpuModule.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cstring>

using namespace mlir;
using namespace mlir::keops;
using namespace mlir::keops::runtime;

namespace {

FunctionPlan::Array arrayOfType(Type type) {
  FunctionPlan::Array a;
  auto shaped = cast<RankedTensorType>(type);
  a.oneDim = shaped.getRank() == 1;
  a.width = shaped.getShape().back();
  a.bits = shaped.getElementType().getIntOrFloatBitWidth();
  a.isInteger = isa<IntegerType>(shaped.getElementType());
  return a;
}

/// Builds the plan of `fn`, whose reductions are kernels `firstKernel`...
FunctionPlan buildPlan(func::FuncOp fn, size_t firstKernel) {
  FunctionPlan plan;
  plan.name = fn.getSymName().str();
  llvm::DenseMap<Value, int64_t> arrayOf;       // tensors -> arrays
  llvm::DenseMap<Value, int64_t> rowsOf;        // index values -> rows of
  llvm::DenseMap<Value, FunctionPlan::Result> views; // column slices
  auto fail = [&](Operation *op, const Twine &why) {
    if (plan.unsupported.empty())
      plan.unsupported = ("function '" + plan.name + "' cannot be run: '" +
                          op->getName().getStringRef() + "' " + why)
                             .str();
  };
  for (BlockArgument arg : fn.getArguments()) {
    if (!isa<RankedTensorType>(arg.getType()) ||
        cast<RankedTensorType>(arg.getType()).getRank() > 2) {
      plan.unsupported = "function '" + plan.name +
                         "' cannot be run: its arguments must be 1-D or 2-D "
                         "tensors";
      return plan;
    }
    FunctionPlan::Array a = arrayOfType(arg.getType());
    a.argument = arg.getArgNumber();
    arrayOf[arg] = plan.arrays.size();
    plan.arrays.push_back(a);
  }
  // A temporary with the type of `type` and the rows of array `like`.
  auto temporary = [&](Type type, int64_t like) {
    FunctionPlan::Array a = arrayOfType(type);
    auto shaped = cast<RankedTensorType>(type);
    if (!a.oneDim && !shaped.isDynamicDim(0))
      a.staticRows = shaped.getDimSize(0);
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
    plan.steps.push_back(
        {FunctionPlan::Step::npos, {r.array}, {a}, r.column});
    arrayOf[v] = a;
    return a;
  };
  // A temporary for a tensor.empty or tensor.splat: its dynamic row count
  // is a tensor.dim of a known array. -1 (and a failure) otherwise.
  auto allocate = [&](Operation *op, Type type, ValueRange sizes) -> int64_t {
    int64_t like = -1;
    if (!sizes.empty()) {
      auto it = rowsOf.find(sizes[0]);
      if (it == rowsOf.end()) {
        fail(op, "has a size the runtime cannot evaluate");
        return -1;
      }
      like = it->second;
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
          if (a < 0 || dim.getConstantIndex() != 0)
            return fail(&op, "is not the rows of a known array");
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
          auto it = arrayOf.find(slice.getSource());
          if (it == arrayOf.end() || !slice.hasUnitStride() ||
              slice.getSourceType().getRank() != 2 ||
              slice.getStaticOffsets()[0] != 0 ||
              ShapedType::isDynamic(slice.getStaticOffsets()[1]) ||
              ShapedType::isDynamic(slice.getStaticSizes()[1]))
            return fail(&op, "is not a slice of whole rows and fixed columns");
          views[slice] = FunctionPlan::Result{
              it->second, slice.getStaticOffsets()[1],
              slice.getStaticSizes()[1], slice.getType().getRank() == 1};
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

std::string Module::resultShape(size_t function, size_t result,
                                const int64_t *argRows, int64_t &rows,
                                int64_t &cols) const {
  if (function >= plans.size())
    return "function index " + std::to_string(function) + " out of range";
  const FunctionPlan &plan = plans[function];
  if (!plan.unsupported.empty())
    return plan.unsupported;
  if (result >= plan.results.size())
    return "function '" + plan.name + "' has " +
           std::to_string(plan.results.size()) + " results";
  const FunctionPlan::Result &r = plan.results[result];
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

std::string Module::runFunction(size_t function, const void *const *args,
                                const int64_t *argRows,
                                void *const *results, void *stream) const {
  if (function >= plans.size())
    return "function index " + std::to_string(function) + " out of range";
  const FunctionPlan &plan = plans[function];
  if (!plan.unsupported.empty())
    return plan.unsupported;
  for (const FunctionPlan::Array &a : plan.arrays)
    if (a.argument >= 0 && !a.oneDim && argRows[a.argument] < 0)
      return "argument #" + std::to_string(a.argument) +
             " has a negative number of rows";
  if (gpu && anyOnDevice(plan, args, results))
    return runFunctionThroughHost(function, args, argRows, results, stream);
  std::vector<int64_t> rows = rowsOfArrays(plan, argRows);
  // Temporaries, zero-initialized (empty reductions write nothing).
  std::vector<std::vector<char>> storage(plan.arrays.size());
  std::vector<const char *> data(plan.arrays.size(), nullptr);
  for (size_t k = 0; k < plan.arrays.size(); ++k) {
    const FunctionPlan::Array &a = plan.arrays[k];
    if (a.argument >= 0) {
      data[k] = static_cast<const char *>(args[a.argument]);
      continue;
    }
    storage[k].assign(size_t(rows[k]) * a.width * (a.bits / 8), 0);
    data[k] = storage[k].data();
  }
  for (const FunctionPlan::Step &step : plan.steps) {
    if (step.kernel == FunctionPlan::Step::npos) {
      int64_t from = step.inputs[0], to = step.outputs[0];
      size_t elt = plan.arrays[to].bits / 8;
      int64_t width = plan.arrays[to].width, stride = plan.arrays[from].width;
      for (int64_t row = 0; row < rows[to]; ++row)
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
      if (!data[a] && rows[a] != 0)
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
    std::string error =
        run(step.kernel, ins.data(), outs.data(), std::max<int64_t>(m, 0),
            std::max<int64_t>(n, 0));
    if (!error.empty())
      return error;
  }
  for (auto [k, r] : llvm::enumerate(plan.results)) {
    if (!results[k] && !(rows[r.array] == 0 && !r.oneDim))
      return "result #" + std::to_string(k) + " is a null pointer";
    const FunctionPlan::Array &a = plan.arrays[r.array];
    size_t elt = a.bits / 8;
    int64_t n = r.oneDim ? 1 : rows[r.array];
    for (int64_t row = 0; row < n; ++row)
      std::memcpy(static_cast<char *>(results[k]) + row * r.width * elt,
                  data[r.array] + (row * a.width + r.column) * elt,
                  r.width * elt);
  }
  return "";
}
