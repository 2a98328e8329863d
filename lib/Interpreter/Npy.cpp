//===- Npy.cpp - reading and writing NumPy .npy files --------------------===//
//
// The subset the interpreter needs: little-endian f2/f4/f8/i4/i8 arrays in C
// order, format versions 1 to 3. Anything else is an error, never a guess.
//
//===----------------------------------------------------------------------===//

#include "keops/Interpreter/Interpreter.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace mlir::keops;


/// The text after `'key':` in the header dict, trimmed.
static std::optional<StringRef> headerField(StringRef header, StringRef key) {
  size_t at = header.find(("'" + key + "'").str());
  if (at == StringRef::npos)
    return std::nullopt;
  StringRef rest = header.drop_front(at + key.size() + 2).ltrim();
  if (!rest.consume_front(":"))
    return std::nullopt;
  return rest.ltrim();
}

FailureOr<HostArray> keops::readNpy(StringRef path, std::string &error) {
  auto fail = [&](const Twine &why) -> FailureOr<HostArray> {
    error = (path + ": " + why).str();
    return failure();
  };
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return fail("cannot open: " + buffer.getError().message());
  StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY"))
    return fail("not a .npy file (bad magic string)");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(bytes[8]) |
                (static_cast<unsigned char>(bytes[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail("truncated header");
    headerLen = 0;
    for (int b = 3; b >= 0; --b)
      headerLen = (headerLen << 8) | static_cast<unsigned char>(bytes[8 + b]);
    headerStart = 12;
  } else {
    return fail("unsupported .npy format version " + Twine(major));
  }
  if (headerStart + headerLen > bytes.size())
    return fail("truncated header");
  StringRef header = bytes.substr(headerStart, headerLen);

  std::optional<StringRef> descr = headerField(header, "descr");
  std::optional<StringRef> order = headerField(header, "fortran_order");
  std::optional<StringRef> shapeText = headerField(header, "shape");
  if (!descr || !order || !shapeText)
    return fail("malformed header");
  if (!order->starts_with("False"))
    return fail("Fortran-ordered arrays are not supported; save a "
                "C-contiguous array");
  StringRef type = descr->drop_front().take_until([](char c) {
    return c == '\'' || c == '"';
  });
  size_t itemSize;
  bool isFloat;
  if (type == "<f2" || type == "<f4" || type == "<f8") {
    isFloat = true;
  } else if (type == "<i4" || type == "<i8") {
    isFloat = false;
  } else {
    return fail("unsupported dtype '" + type +
                "'; expected little-endian float16/32/64 or int32/64");
  }
  itemSize = type.back() - '0';

  HostArray array;
  StringRef dims = shapeText->drop_front().take_until([](char c) {
    return c == ')';
  });
  SmallVector<StringRef> parts;
  dims.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (StringRef part : parts) {
    part = part.trim();
    if (part.empty())
      continue;
    int64_t d;
    if (part.getAsInteger(10, d) || d < 0)
      return fail("malformed shape '" + dims + "'");
    array.shape.push_back(d);
  }
  int64_t count = 1;
  for (int64_t d : array.shape) {
    if (d != 0 && count > (int64_t(1) << 40) / d)
      return fail("shape " + dims + " is too large");
    count *= d;
  }
  size_t dataStart = headerStart + headerLen;
  if (bytes.size() - dataStart != static_cast<size_t>(count) * itemSize)
    return fail("holds " + Twine(bytes.size() - dataStart) +
                " data bytes, but shape " + dims + " of " + type + " needs " +
                Twine(static_cast<size_t>(count) * itemSize));
  const char *data = bytes.data() + dataStart;
  array.data.resize(count);
  array.isIndex = !isFloat;
  for (int64_t n = 0; n < count; ++n) {
    const char *p = data + n * itemSize;
    double v;
    if (type == "<f8") {
      std::memcpy(&v, p, 8);
    } else if (type == "<f4") {
      float f;
      std::memcpy(&f, p, 4);
      v = f;
    } else if (type == "<f2") {
      uint16_t h;
      std::memcpy(&h, p, 2);
      v = llvm::APFloat(llvm::APFloat::IEEEhalf(), llvm::APInt(16, h))
              .convertToDouble();
    } else if (type == "<i4") {
      int32_t i;
      std::memcpy(&i, p, 4);
      v = i;
    } else {
      int64_t i;
      std::memcpy(&i, p, 8);
      v = static_cast<double>(i);
    }
    array.data[n] = v;
  }
  return array;
}

LogicalResult keops::writeNpy(StringRef path, const HostArray &array,
                              std::string &error) {
  std::string header = "{'descr': '";
  header += array.isIndex ? "<i8" : "<f8";
  header += "', 'fortran_order': False, 'shape': (";
  for (int64_t d : array.shape)
    header += std::to_string(d) + ", ";
  if (!array.shape.empty())
    header.erase(header.size() - (array.shape.size() == 1 ? 1 : 2));
  header += "), }";
  // Pad so that the data starts on a multiple of 64 bytes.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    error = (path + ": cannot write: " + ec.message()).str();
    return failure();
  }
  os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
     << char(header.size() >> 8) << header;
  for (double v : array.data) {
    if (array.isIndex) {
      int64_t i = static_cast<int64_t>(v);
      os.write(reinterpret_cast<const char *>(&i), 8);
    } else {
      os.write(reinterpret_cast<const char *>(&v), 8);
    }
  }
  return success();
}
