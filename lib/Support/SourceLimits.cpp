//===- SourceLimits.cpp - limits on the text the tools parse --------------===//

#include "keops/Support/SourceLimits.h"

#include <string>

using namespace mlir::keops;

const char *mlir::keops::findExcessNesting(llvm::StringRef source,
                                           unsigned limit) {
  unsigned depth = 0;
  const char *p = source.begin(), *end = source.end();
  while (p < end) {
    char c = *p;
    if (c == '"') {
      // A string literal: up to the closing quote, escapes skipped.
      for (++p; p < end && *p != '"' && *p != '\n'; ++p)
        if (*p == '\\')
          ++p;
    } else if (c == '/' && p + 1 < end && p[1] == '/') {
      while (p < end && *p != '\n')
        ++p;
    } else if (c == '(' || c == '[' || c == '{' || c == '<') {
      if (++depth > limit)
        return p;
    } else if (c == ')' || c == ']' || c == '}' || c == '>') {
      // "->" and ">=" are no closing brackets; unbalanced closers only
      // lower the count, which stays an upper bound of no real nesting.
      bool arrow = c == '>' && p > source.begin() && p[-1] == '-';
      bool compare = c == '>' && p + 1 < end && p[1] == '=';
      if (!arrow && !compare && depth)
        --depth;
    }
    ++p;
  }
  return nullptr;
}

bool mlir::keops::checkSourceNesting(llvm::SourceMgr &sourceMgr,
                                     unsigned bufferId,
                                     llvm::raw_ostream &os) {
  llvm::StringRef text = sourceMgr.getMemoryBuffer(bufferId)->getBuffer();
  const char *at = findExcessNesting(text);
  if (!at)
    return true;
  sourceMgr.PrintMessage(os, llvm::SMLoc::getFromPointer(at),
                         llvm::SourceMgr::DK_Error,
                         "brackets nested more than " +
                             std::to_string(kMaxSourceNesting) +
                             " levels deep: not parsed (the limit of keops "
                             "tools; real IR nests about ten levels)");
  return false;
}
