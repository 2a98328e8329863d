//===- ObjectCache.cpp - compiled kernels on disk ------------------------===//

#include "ObjectCache.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir::keops::runtime;

static const char kMagic[] = "KEOPS-MLIR OBJECT 1\n";
static constexpr size_t kMagicSize = sizeof(kMagic) - 1;

static std::string digest(llvm::StringRef data) {
  auto hash = llvm::SHA256::hash(llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(data.data()), data.size()));
  return std::string(hash.begin(), hash.end());
}

ObjectCache::ObjectCache() {
  if (const char *env = std::getenv("KEOPS_CACHE_DIR")) {
    dir = env;
  } else {
    llvm::SmallString<256> home;
    if (!llvm::sys::path::home_directory(home)) {
      enabled = false;
      return;
    }
    llvm::sys::path::append(home, ".cache", "keops-mlir");
    dir = std::string(home);
  }
  if (dir.empty() || std::string(dir) == "0" ||
      std::string(dir) == "off")
    enabled = false;
}

std::string ObjectCache::pathOf(const std::string &key) const {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, key + ".o");
  return std::string(path);
}

bool ObjectCache::read(const std::string &key, std::string &object) {
  if (!enabled)
    return false;
  std::string path = pathOf(key);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return false; // absent: a miss, not an error
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() < kMagicSize + 32 || !bytes.starts_with(kMagic) ||
      bytes.substr(kMagicSize, 32) != digest(bytes.drop_front(kMagicSize + 32))) {
    llvm::errs() << "keops: warning: ignoring corrupt or foreign cache file "
                 << path << "; recompiling\n";
    return false;
  }
  object = bytes.drop_front(kMagicSize + 32).str();
  return true;
}

void ObjectCache::write(const std::string &key, const std::string &object) {
  if (!enabled)
    return;
  auto warn = [&](const llvm::Twine &why) {
    if (!warnedWrite)
      llvm::errs() << "keops: warning: cannot write the compile cache in "
                   << dir << " (" << why << "); compiled kernels are kept "
                   << "in memory only\n";
    warnedWrite = true;
  };
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return warn(ec.message());
  // A unique temporary name, then an atomic rename.
  llvm::SmallString<256> tmp;
  int fd;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(
          dir + "/" + key + ".tmp-%%%%%%%%", fd, tmp))
    return warn(ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << kMagic << digest(object) << object;
    os.close();
    if (os.has_error()) {
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      return warn("write error");
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, pathOf(key))) {
    llvm::sys::fs::remove(tmp);
    return warn(ec.message());
  }
}
