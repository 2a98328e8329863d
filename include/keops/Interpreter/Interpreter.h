//===- Interpreter.h - reference evaluation of keops reductions -*- C++ -*-===//
//
// The reference interpreter evaluates keops reductions in double precision
// on the host, pair by pair, as directly as the op definitions read. It is
// the oracle that compiled backends and differentiation are checked against,
// so it favours obviousness over speed: every formula op is one small case
// and every reduction kind a loop over the values of one output row.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_INTERPRETER_INTERPRETER_H
#define KEOPS_INTERPRETER_INTERPRETER_H

#include "keops/Dialect/Keops.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir::keops {

/// A row-major host array. Values are held in double whatever the IR's
/// element type; index arrays (`isIndex`: index outputs, integer inputs) hold
/// integers, exact up to 2^53 in magnitude.
struct HostArray {
  std::vector<int64_t> shape;
  std::vector<double> data;
  bool isIndex = false;

  int64_t numElements() const;
  static HostArray zeros(std::vector<int64_t> shape, bool isIndex = false);
  /// Why an array of `shape` cannot be allocated (a negative extent, more
  /// elements than int64 counts, or more bytes than the machine's physical
  /// memory), or "" when it can: checked before zeros() where the shape
  /// comes from the user, so that a huge one is an error, not an abort.
  static std::string sizeError(llvm::ArrayRef<int64_t> shape);
};

/// Evaluates `op` on `inputs` (one per `ins` operand, same order) and returns
/// one array per output. `outShape`, when given, is the shape of the first
/// output (batch extents, rows, width); otherwise rows come from the kept
/// variables and batch extents from the inputs that are not broadcast.
/// Errors are emitted on `op`.
FailureOr<std::vector<HostArray>>
interpretReduce(ReduceOp op, llvm::ArrayRef<HostArray> inputs,
                llvm::ArrayRef<int64_t> outShape = {});

/// How one reduction of a function is evaluated: the interpreter by default,
/// a compiled kernel for backend checks. `outShape` is that of the first
/// output.
using ReduceEvaluator = std::function<FailureOr<std::vector<HostArray>>(
    ReduceOp, llvm::ArrayRef<HostArray> inputs,
    llvm::ArrayRef<int64_t> outShape)>;

/// The batch extents and rows of a reduction on arrays of these shapes (the
/// checks of interpretReduce, shared by the tools that run compiled
/// kernels): `batch` (one extent per batch axis), `rows` (M, N; -1 where no
/// variable gives them, then taken from `outShape`). Errors on `op`.
LogicalResult reductionExtents(ReduceOp op,
                               llvm::ArrayRef<std::vector<int64_t>> inShapes,
                               llvm::ArrayRef<int64_t> outShape,
                               llvm::SmallVectorImpl<int64_t> &batch,
                               int64_t rows[2]);

/// Evaluates a function whose body holds keops.reduce ops and the glue the
/// frontends emit (tensor.empty, tensor.dim, arith.constant of index type,
/// func.return). Returns the function's results or, for a function with
/// memref outputs and no results, the memref arguments written by a
/// reduction, in argument order. Reductions go to `evaluator` when given.
FailureOr<std::vector<HostArray>>
interpretFunction(func::FuncOp fn, llvm::ArrayRef<HostArray> args,
                  const ReduceEvaluator &evaluator = nullptr);

/// Fills the arguments of `fn` that are not `given` (`args` holds one array
/// per argument; given ones are read for their rows): shapes from the
/// argument types, dynamic extents from the argument's first use in a
/// reduction (M rows for i variables, N for j variables, `batchExtents` for
/// batch axes; rows of given arrays win over M and N), values from `seed`:
/// uniform in [-1, 1), or integers uniform in [0, max(M, N)) for index
/// variables. Every argument is then rounded to its element type.
LogicalResult generateArguments(func::FuncOp fn, std::vector<HostArray> &args,
                                llvm::ArrayRef<bool> given, int64_t m, int64_t n,
                                llvm::ArrayRef<int64_t> batchExtents,
                                uint64_t seed);

/// Evaluates the formula of `op` for the pair (i, j): `vars` holds the value
/// of each variable (block argument), index variables as integral doubles;
/// returns the yielded values.
FailureOr<std::vector<std::vector<double>>>
evaluateFormula(ReduceOp op, llvm::ArrayRef<std::vector<double>> vars,
                int64_t i, int64_t j);

/// Rounds every value of `array` to the floating-point type `type`.
void roundToType(HostArray &array, Type type);

/// Reads a .npy file (little-endian f2/f4/f8/i4/i8, C order).
FailureOr<HostArray> readNpy(llvm::StringRef path, std::string &error);
/// Writes `array` as a .npy file: float64, or int64 for index arrays.
LogicalResult writeNpy(llvm::StringRef path, const HostArray &array,
                             std::string &error);

} // namespace mlir::keops

#endif // KEOPS_INTERPRETER_INTERPRETER_H
