//===- ObjectCache.h - compiled kernels on disk -----------------*- C++ -*-===//
//
// Object files under $KEOPS_CACHE_DIR (default ~/.cache/keops-mlir), named
// by the hash of their key. A file holds a magic line, the length and the
// text of the full key it was compiled for (the canonical IR, the target,
// the options, the compiler's version and build), the SHA-256 of key and
// object, and the object. It is used only when its key is exactly the one
// asked for: a file copied under another name, a hash collision or another
// installation's entry is a miss, never another module's kernels. A file is
// written to a temporary name and renamed, so readers in other processes
// see a whole file or none. A mismatched or damaged file is reported once
// and replaced by the fresh compile; an unwritable directory only disables
// the disk cache (with a warning).
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_LIB_RUNTIME_OBJECTCACHE_H
#define KEOPS_LIB_RUNTIME_OBJECTCACHE_H

#include <string>

namespace mlir::keops::runtime {

class ObjectCache {
public:
  ObjectCache();
  /// The file name of a key: its hash (hex SHA-256).
  static std::string nameOf(const std::string &key);
  /// Reads the object compiled for `key`; false when absent, damaged or
  /// compiled for another key (those two with a warning).
  bool read(const std::string &key, std::string &object);
  /// Stores the object of `key`; failures only warn.
  void write(const std::string &key, const std::string &object);
  /// Warns that the object read for `key` could not be loaded (a file
  /// whose checksum was forged); it is then replaced by write().
  void reportUnloadable(const std::string &key, const std::string &why);
  const std::string &directory() const { return dir; }

private:
  std::string pathOf(const std::string &key) const;
  std::string dir;
  bool enabled = true;
  bool warnedWrite = false;
};

} // namespace mlir::keops::runtime

#endif
