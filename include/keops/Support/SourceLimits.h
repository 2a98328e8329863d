//===- SourceLimits.h - limits on the text the tools parse -----*- C++ -*-===//
//
// MLIR's parser descends recursively into every bracket: input nested some
// thousands of levels deep overflows the stack (a segfault) before any
// diagnostic. keops-opt, keops-run and the runtime check the nesting of the
// text first and report the first bracket past the limit instead. Real
// keops IR nests about ten levels (SSA keeps formulas flat).
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_SUPPORT_SOURCELIMITS_H
#define KEOPS_SUPPORT_SOURCELIMITS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::keops {

/// The deepest nesting of brackets accepted.
constexpr unsigned kMaxSourceNesting = 512;

/// The first bracket ('(', '[', '{' or '<'; outside string literals and
/// comments) nested deeper than `limit` in `source`, or nullptr.
const char *findExcessNesting(llvm::StringRef source,
                              unsigned limit = kMaxSourceNesting);

/// Checks buffer `bufferId` of `sourceMgr`; on excess, prints
/// "FILE:LINE:COL: error: ..." to `os` and returns false.
bool checkSourceNesting(llvm::SourceMgr &sourceMgr, unsigned bufferId,
                        llvm::raw_ostream &os);

} // namespace mlir::keops

#endif // KEOPS_SUPPORT_SOURCELIMITS_H
