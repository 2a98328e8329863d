//===- Reductions.h - reference reduction kinds (internal) ------*- C++ -*-===//

#ifndef KEOPS_LIB_INTERPRETER_REDUCTIONS_H
#define KEOPS_LIB_INTERPRETER_REDUCTIONS_H

#include "keops/Dialect/Keops.h"

#include <vector>

namespace mlir::keops::detail {

/// Reduces the formula values `f` (dimension `fdim`) of one output row, with
/// the second yielded values `w` (dimension `wdim`, 0 when absent), into the
/// row's values and indices. `k` is K for the k-kinds.
void reduceRow(ReductionKind kind, int64_t k,
               const std::vector<std::vector<double>> &f,
               const std::vector<std::vector<double>> &w, int64_t fdim,
               int64_t wdim, std::vector<double> &values,
               std::vector<double> &indices);

} // namespace mlir::keops::detail

#endif
