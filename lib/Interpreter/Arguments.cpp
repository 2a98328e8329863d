//===- Arguments.cpp - generated arguments of keops functions ------------===//
//
// keops-run and the fuzzers evaluate functions on arguments they generate:
// shapes from the function's types and reductions, values from a seed.
//
//===----------------------------------------------------------------------===//

#include "keops/Interpreter/Interpreter.h"

using namespace mlir;
using namespace mlir::keops;

/// splitmix64: a tiny, fully specified generator, so that a seed means the
/// same numbers everywhere.
static uint64_t nextRandom(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// The rows of the arrays given for i and j variables, which generated
/// arguments (outputs included) must agree with.
static void rowsOfGiven(func::FuncOp fn, ArrayRef<HostArray> args,
                        ArrayRef<bool> given, int64_t &m, int64_t &n) {
  fn.walk([&](ReduceOp reduce) {
    for (auto [index, value] : llvm::enumerate(reduce.getIns())) {
      auto arg = dyn_cast<BlockArgument>(value);
      if (!arg || arg.getOwner() != &fn.getBody().front() ||
          !given[arg.getArgNumber()] || args[arg.getArgNumber()].shape.empty())
        continue;
      Category cat = reduce.getCategory(index);
      const std::vector<int64_t> &shape = args[arg.getArgNumber()].shape;
      size_t rowAxis = reduce.getBatchRank();
      if (cat == Category::P || shape.size() <= rowAxis)
        continue;
      if (cat == Category::I)
        m = shape[rowAxis];
      else
        n = shape[rowAxis];
    }
  });
}

/// The shape a generated argument gets from its first use in a reduction.
static FailureOr<std::vector<int64_t>>
generatedShape(BlockArgument arg, int64_t m, int64_t n,
               ArrayRef<int64_t> batchExtents) {
  auto type = dyn_cast<ShapedType>(arg.getType());
  if (!type || !type.hasRank())
    return emitError(arg.getLoc()) << "argument #" << arg.getArgNumber()
                                   << " is not an array";
  std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
  for (OpOperand &use : arg.getUses()) {
    auto reduce = dyn_cast<ReduceOp>(use.getOwner());
    if (!reduce)
      continue;
    unsigned index = use.getOperandNumber();
    Category rowsOf;
    if (index < reduce.getIns().size())
      rowsOf = reduce.getCategory(index);
    else
      rowsOf = reduce.getKeptCategory();
    // Batch axes first (from -B), then rows (M or N).
    size_t batchRank = reduce.getBatchRank();
    for (size_t a = 0; a < batchRank && a < shape.size(); ++a)
      if (ShapedType::isDynamic(shape[a]) && a < batchExtents.size())
        shape[a] = batchExtents[a];
    if (rowsOf != Category::P && shape.size() > batchRank &&
        ShapedType::isDynamic(shape[batchRank]))
      shape[batchRank] = rowsOf == Category::I ? m : n;
    break;
  }
  for (int64_t d : shape)
    if (ShapedType::isDynamic(d))
      return emitError(arg.getLoc())
             << "argument #" << arg.getArgNumber()
             << " has a size that cannot be inferred from its uses; give "
                "the argument";
  return shape;
}

LogicalResult mlir::keops::generateArguments(func::FuncOp fn,
                                             std::vector<HostArray> &args,
                                             ArrayRef<bool> given, int64_t m,
                                             int64_t n,
                                             ArrayRef<int64_t> batchExtents,
                                             uint64_t seed) {
  args.resize(fn.getNumArguments());
  if (m < 0 || n < 0)
    return fn.emitError() << "row counts must be >= 0";
  rowsOfGiven(fn, args, given, m, n);
  uint64_t state = seed;
  for (BlockArgument arg : fn.getArguments()) {
    unsigned index = arg.getArgNumber();
    auto type = dyn_cast<ShapedType>(arg.getType());
    if (!type)
      return fn.emitError() << "argument #" << index << " is not an array";
    Type elt = type.getElementType();
    if (!given[index]) {
      FailureOr<std::vector<int64_t>> shape =
          generatedShape(arg, m, n, batchExtents);
      if (failed(shape))
        return failure();
      bool isInteger = isa<IntegerType>(elt);
      if (std::string why = HostArray::sizeError(*shape); !why.empty())
        return fn.emitError() << "argument #" << index << ": " << why;
      args[index] = HostArray::zeros(*shape, isInteger);
      // Integers (index variables) are uniform in [0, max(M, N)), so that
      // they select some rows of either axis.
      uint64_t range = static_cast<uint64_t>(std::max<int64_t>(1, std::max(m, n)));
      for (double &v : args[index].data)
        v = isInteger ? static_cast<double>(nextRandom(state) % range)
                      : static_cast<double>(nextRandom(state) >> 11) * 0x1.0p-52 -
                            1.0;
    }
    roundToType(args[index], elt);
  }
  return success();
}

