//===- ObjectCache.cpp - compiled kernels on disk ------------------------===//

#include "ObjectCache.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir::keops::runtime;

static const char kMagic[] = "KEOPS-MLIR OBJECT 2\n";

static std::string digest(llvm::StringRef key, llvm::StringRef object) {
  llvm::SHA256 hasher;
  auto bytes = [](llvm::StringRef s) {
    return llvm::ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(s.data()), s.size());
  };
  hasher.update(bytes(key));
  hasher.update(bytes(object));
  auto hash = hasher.final();
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

std::string ObjectCache::nameOf(const std::string &key) {
  auto hash = llvm::SHA256::hash(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(key.data()), key.size()));
  return llvm::toHex(hash, /*LowerCase=*/true);
}

std::string ObjectCache::pathOf(const std::string &key) const {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, nameOf(key) + ".o");
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
  // magic, "<key length>\n", key, digest (32 bytes), object
  llvm::StringRef rest = (*buffer)->getBuffer();
  bool whole = rest.consume_front(kMagic);
  size_t newline = rest.find('\n');
  uint64_t length = 0;
  whole = whole && newline != llvm::StringRef::npos &&
          !rest.take_front(newline).getAsInteger(10, length);
  if (whole) {
    rest = rest.drop_front(newline + 1);
    whole = rest.size() >= length + 32;
  }
  if (!whole) {
    llvm::errs() << "keops: warning: ignoring corrupt or foreign cache file "
                 << path << "; recompiling\n";
    return false;
  }
  llvm::StringRef storedKey = rest.take_front(length);
  llvm::StringRef sum = rest.substr(length, 32);
  llvm::StringRef bytes = rest.drop_front(length + 32);
  if (sum != digest(storedKey, bytes)) {
    llvm::errs() << "keops: warning: ignoring corrupt cache file " << path
                 << " (checksum mismatch); recompiling\n";
    return false;
  }
  if (storedKey != key) {
    llvm::errs() << "keops: warning: ignoring cache file " << path
                 << ": it was compiled for another module, options or "
                    "compiler version; recompiling\n";
    return false;
  }
  object = bytes.str();
  return true;
}

void ObjectCache::reportUnloadable(const std::string &key,
                                   const std::string &why) {
  llvm::errs() << "keops: warning: cannot load cache file " << pathOf(key)
               << " (" << why << "); recompiling\n";
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
          dir + "/" + nameOf(key) + ".tmp-%%%%%%%%", fd, tmp))
    return warn(ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << kMagic << key.size() << "\n" << key << digest(key, object)
       << object;
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
