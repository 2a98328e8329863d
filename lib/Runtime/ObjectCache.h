//===- ObjectCache.h - compiled kernels on disk -----------------*- C++ -*-===//
//
// Object files under $KEOPS_CACHE_DIR (default ~/.cache/keops-mlir), named
// by the cache key. A file holds a magic line, the SHA-256 of the object and
// the object; it is written to a temporary name and renamed, so readers in
// other processes see a whole file or none. A file that fails its checksum
// is reported and rebuilt; an unwritable directory only disables the disk
// cache (with a warning).
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_LIB_RUNTIME_OBJECTCACHE_H
#define KEOPS_LIB_RUNTIME_OBJECTCACHE_H

#include <string>

namespace mlir::keops::runtime {

class ObjectCache {
public:
  ObjectCache();
  /// Reads the object of `key`; false when absent or invalid.
  bool read(const std::string &key, std::string &object);
  /// Stores the object of `key`; failures only warn.
  void write(const std::string &key, const std::string &object);
  const std::string &directory() const { return dir; }

private:
  std::string pathOf(const std::string &key) const;
  std::string dir;
  bool enabled = true;
  bool warnedWrite = false;
};

} // namespace mlir::keops::runtime

#endif
