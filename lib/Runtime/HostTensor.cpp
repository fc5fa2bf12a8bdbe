//===- HostTensor.cpp - dense host tensors and .npy files -------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/HostTensor.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <unistd.h>

using namespace mlir;
using namespace mlir::attn;
using llvm::createStringError;
using llvm::Expected;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

size_t attn::getElementSize(ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
    return 4;
  case ElementKind::F16:
  case ElementKind::BF16:
    return 2;
  case ElementKind::I1:
    return 1;
  case ElementKind::I64:
    return 8;
  }
  llvm_unreachable("unknown element kind");
}

StringRef attn::getElementName(ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
    return "f32";
  case ElementKind::F16:
    return "f16";
  case ElementKind::BF16:
    return "bf16";
  case ElementKind::I1:
    return "i1";
  case ElementKind::I64:
    return "i64";
  }
  llvm_unreachable("unknown element kind");
}

std::optional<ElementKind> attn::getElementKind(Type type) {
  if (type.isF32())
    return ElementKind::F32;
  if (type.isF16())
    return ElementKind::F16;
  if (type.isBF16())
    return ElementKind::BF16;
  if (type.isInteger(1))
    return ElementKind::I1;
  if (type.isSignlessInteger(64))
    return ElementKind::I64;
  return std::nullopt;
}

static uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

static float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float attn::bfloat16ToFloat(uint16_t bits) {
  return bitsToFloat(static_cast<uint32_t>(bits) << 16);
}

uint16_t attn::floatToBFloat16(float value) {
  uint32_t u = floatBits(value);
  if ((u & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet.
    return static_cast<uint16_t>((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float attn::halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f)
    return bitsToFloat(sign | 0x7f800000u | (mant << 13));
  if (exp == 0) {
    // Zero or subnormal: mant * 2^-24.
    float f = static_cast<float>(mant) * 5.9604644775390625e-8f;
    return sign ? -f : f;
  }
  return bitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t attn::floatToHalf(float value) {
  uint32_t u = floatBits(value);
  uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  uint32_t absU = u & 0x7fffffffu;
  if (absU > 0x7f800000u) // NaN
    return sign | 0x7e00u;
  if (absU >= 0x477ff000u) // Rounds to >= 65520: overflow to infinity.
    return sign | 0x7c00u;
  if (absU < 0x38800000u) {
    // Subnormal or zero in half: round |value| * 2^24 to an integer.
    float f = bitsToFloat(absU) * 16777216.0f;
    float r = std::nearbyint(f);
    return sign | static_cast<uint16_t>(r);
  }
  uint32_t mant = absU & 0x7fffffu;
  uint32_t exp = (absU >> 23) - 112;
  uint32_t h = (exp << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
    ++h; // May carry into the exponent, which is still correct.
  return sign | static_cast<uint16_t>(h);
}

//===----------------------------------------------------------------------===//
// HostTensor
//===----------------------------------------------------------------------===//

void HostTensorDeleter::operator()(void *p) const {
  if (owning)
    std::free(allocation ? allocation : p);
}

HostTensor HostTensor::adopt(ElementKind kind, llvm::ArrayRef<int64_t> shape,
                             void *allocation, void *data) {
  HostTensor t = view(kind, shape, data);
  t.data = std::unique_ptr<void, HostTensorDeleter>(data, {true, allocation});
  return t;
}

HostTensor HostTensor::view(ElementKind kind, llvm::ArrayRef<int64_t> shape,
                            void *data) {
  HostTensor t;
  t.kind = kind;
  t.shape.assign(shape.begin(), shape.end());
  t.numElements = 1;
  for (int64_t d : shape)
    t.numElements *= d;
  t.data = std::unique_ptr<void, HostTensorDeleter>(data, {false});
  return t;
}

Expected<HostTensor> HostTensor::allocate(ElementKind kind,
                                          llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return createStringError("negative dimension %lld", (long long)d);
    if (d != 0 && count > std::numeric_limits<int64_t>::max() / d)
      return createStringError("tensor is too large to allocate");
    count *= d;
  }
  size_t elt = getElementSize(kind);
  if (static_cast<uint64_t>(count) >
      std::numeric_limits<size_t>::max() / 2 / elt)
    return createStringError("tensor with %lld elements is too large to "
                             "allocate",
                             (long long)count);
  size_t bytes = std::max<size_t>(count * elt, 1);
  // Fail cleanly rather than let the kernel kill the process while touching
  // pages that overcommit handed out.
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && pageSize > 0 &&
      bytes / static_cast<size_t>(pageSize) >= static_cast<size_t>(pages))
    return createStringError("tensor of %zu bytes exceeds the machine's "
                             "memory",
                             bytes);
  size_t rounded = (bytes + 63) / 64 * 64;
  void *p = std::aligned_alloc(64, rounded);
  if (!p)
    return createStringError("cannot allocate %zu bytes for a tensor", bytes);
  std::memset(p, 0, rounded);
  HostTensor t;
  t.kind = kind;
  t.shape.assign(shape.begin(), shape.end());
  t.numElements = count;
  t.data.reset(p);
  return t;
}

double HostTensor::getAsDouble(int64_t i) const {
  const char *base = static_cast<const char *>(data.get());
  switch (kind) {
  case ElementKind::F32: {
    float f;
    std::memcpy(&f, base + 4 * i, 4);
    return f;
  }
  case ElementKind::F16: {
    uint16_t h;
    std::memcpy(&h, base + 2 * i, 2);
    return halfToFloat(h);
  }
  case ElementKind::BF16: {
    uint16_t h;
    std::memcpy(&h, base + 2 * i, 2);
    return bfloat16ToFloat(h);
  }
  case ElementKind::I1:
    return base[i] ? 1.0 : 0.0;
  case ElementKind::I64: {
    int64_t v;
    std::memcpy(&v, base + 8 * i, 8);
    return static_cast<double>(v);
  }
  }
  llvm_unreachable("unknown element kind");
}

void HostTensor::setFromDouble(int64_t i, double value) {
  char *base = static_cast<char *>(data.get());
  switch (kind) {
  case ElementKind::F32: {
    float f = static_cast<float>(value);
    std::memcpy(base + 4 * i, &f, 4);
    return;
  }
  case ElementKind::F16: {
    uint16_t h = floatToHalf(static_cast<float>(value));
    std::memcpy(base + 2 * i, &h, 2);
    return;
  }
  case ElementKind::BF16: {
    uint16_t h = floatToBFloat16(static_cast<float>(value));
    std::memcpy(base + 2 * i, &h, 2);
    return;
  }
  case ElementKind::I1:
    base[i] = value != 0.0 ? 1 : 0;
    return;
  case ElementKind::I64: {
    auto v = static_cast<int64_t>(value);
    std::memcpy(base + 8 * i, &v, 8);
    return;
  }
  }
}

std::string HostTensor::describe() const {
  std::string s;
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + getElementName(kind).str();
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

static StringRef npyDescr(ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
    return "<f4";
  case ElementKind::F16:
    return "<f2";
  case ElementKind::BF16:
    return "<u2";
  case ElementKind::I1:
    return "|b1";
  case ElementKind::I64:
    return "<i8";
  }
  llvm_unreachable("unknown element kind");
}

/// Extracts the value text of `'key':` in a Python dict literal.
static std::optional<StringRef> dictValue(StringRef header, StringRef key) {
  std::string quoted = ("'" + key + "'").str();
  size_t pos = header.find(quoted);
  if (pos == StringRef::npos)
    return std::nullopt;
  StringRef rest = header.drop_front(pos + quoted.size()).ltrim();
  if (!rest.consume_front(":"))
    return std::nullopt;
  rest = rest.ltrim();
  if (rest.starts_with("(")) {
    size_t close = rest.find(')');
    if (close == StringRef::npos)
      return std::nullopt;
    return rest.take_front(close + 1);
  }
  if (rest.starts_with("'")) {
    size_t close = rest.find('\'', 1);
    if (close == StringRef::npos)
      return std::nullopt;
    return rest.slice(1, close);
  }
  size_t end = rest.find_first_of(",}");
  return rest.take_front(end).trim();
}

Expected<HostTensor> attn::readNpy(StringRef path) {
  auto bufOrErr = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
  if (!bufOrErr)
    return createStringError("cannot read '%s': %s", path.str().c_str(),
                             bufOrErr.getError().message().c_str());
  StringRef bytes = (*bufOrErr)->getBuffer();
  auto fail = [&](const llvm::Twine &why) {
    return createStringError("'%s' is not a valid .npy file: %s",
                             path.str().c_str(), why.str().c_str());
  };
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY"))
    return fail("missing the \\x93NUMPY magic");
  uint8_t major = bytes[6];
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = static_cast<uint8_t>(bytes[8]) |
                (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail("truncated header");
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i]))
                   << (8 * i);
    headerStart = 12;
  } else {
    return fail("unsupported format version " + llvm::Twine(major));
  }
  if (bytes.size() < headerStart + headerLen)
    return fail("truncated header");
  StringRef header = bytes.substr(headerStart, headerLen);

  std::optional<StringRef> descr = dictValue(header, "descr");
  std::optional<StringRef> order = dictValue(header, "fortran_order");
  std::optional<StringRef> shapeText = dictValue(header, "shape");
  if (!descr || !order || !shapeText)
    return fail("header lacks descr, fortran_order or shape");
  if (*order != "False")
    return fail("Fortran order is not supported (save with C order)");
  ElementKind kind;
  if (*descr == "<f4")
    kind = ElementKind::F32;
  else if (*descr == "<f2")
    kind = ElementKind::F16;
  else if (*descr == "<u2")
    kind = ElementKind::BF16;
  else if (*descr == "|b1")
    kind = ElementKind::I1;
  else if (*descr == "<i8")
    kind = ElementKind::I64;
  else
    return fail("unsupported dtype '" + *descr +
                "' (expected <f4, <f2, <u2 for bf16, |b1 or <i8)");

  llvm::SmallVector<int64_t> shape;
  StringRef dims = shapeText->drop_front().drop_back();
  llvm::SmallVector<StringRef> parts;
  dims.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (StringRef part : parts) {
    part = part.trim();
    if (part.empty())
      continue;
    int64_t d;
    if (part.getAsInteger(10, d) || d < 0)
      return fail("bad shape entry '" + part + "'");
    shape.push_back(d);
  }
  Expected<HostTensor> tensor = HostTensor::allocate(kind, shape);
  if (!tensor)
    return tensor.takeError();
  size_t dataStart = headerStart + headerLen;
  size_t need = tensor->getByteSize();
  if (bytes.size() - dataStart < need)
    return fail("truncated data: expected " + llvm::Twine(need) +
                " bytes, found " + llvm::Twine(bytes.size() - dataStart));
  if (bytes.size() - dataStart > need)
    return fail("trailing data after " + llvm::Twine(need) + " bytes");
  std::memcpy(tensor->getData(), bytes.data() + dataStart, need);
  if (kind == ElementKind::I1) {
    auto *p = static_cast<uint8_t *>(tensor->getData());
    for (int64_t i = 0; i < tensor->getNumElements(); ++i)
      if (p[i] > 1)
        return fail("boolean element is neither 0 nor 1");
  }
  return tensor;
}

llvm::Error attn::writeNpy(StringRef path, const HostTensor &tensor) {
  std::string header = "{'descr': '" + npyDescr(tensor.getKind()).str() +
                       "', 'fortran_order': False, 'shape': (";
  llvm::ArrayRef<int64_t> shape = tensor.getShape();
  header += llvm::join(
      llvm::map_range(shape, [](int64_t d) { return std::to_string(d); }),
      ", ");
  if (shape.size() == 1)
    header += ","; // A 1-tuple is "(4,)".
  header += "), }";
  // Pad so that the data starts on a 64-byte boundary; end with '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 65535)
    return createStringError("shape too long for a .npy header");

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return createStringError("cannot write '%s': %s", path.str().c_str(),
                             ec.message().c_str());
  os << "\x93NUMPY" << '\x01' << '\x00';
  os << static_cast<char>(header.size() & 0xff)
     << static_cast<char>((header.size() >> 8) & 0xff);
  os << header;
  os.write(static_cast<const char *>(tensor.getData()), tensor.getByteSize());
  os.close();
  if (os.has_error())
    return createStringError("cannot write '%s': %s", path.str().c_str(),
                             os.error().message().c_str());
  return llvm::Error::success();
}
