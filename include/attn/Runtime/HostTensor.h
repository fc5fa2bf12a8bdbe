//===- HostTensor.h - dense host tensors and .npy files ---------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Host-side tensors exchanged with JIT-compiled attention functions, and their
// NumPy `.npy` (format 1.0/2.0/3.0, C order) encoding: `<f4` for f32, `<f2`
// for f16, `<u2` holding bf16 bits, `|b1` for i1, `<i8` for i64 (integer
// masks as frontends write them).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_HOSTTENSOR_H
#define ATTN_RUNTIME_HOSTTENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace mlir {
class Type;
namespace attn {

enum class ElementKind { F32, F16, BF16, I1, I64 };

/// Bytes per element.
size_t getElementSize(ElementKind kind);
/// `f32`, `f16`, `bf16` or `i1`.
llvm::StringRef getElementName(ElementKind kind);
/// The element kind of an MLIR element type, if it is one of ours.
std::optional<ElementKind> getElementKind(Type type);

float halfToFloat(uint16_t bits);
float bfloat16ToFloat(uint16_t bits);
/// Round-to-nearest-even conversions.
uint16_t floatToHalf(float value);
uint16_t floatToBFloat16(float value);

/// Frees a HostTensor's data unless the tensor is a view; an adopted buffer
/// frees the allocation its data lies in.
struct HostTensorDeleter {
  bool owning = true;
  void *allocation = nullptr;
  void operator()(void *p) const;
};

/// A dense, row-major host tensor (64-byte aligned when allocated here).
class HostTensor {
public:
  /// Allocates a zero-initialized tensor; fails when the byte size overflows
  /// or the allocation fails.
  static llvm::Expected<HostTensor> allocate(ElementKind kind,
                                             llvm::ArrayRef<int64_t> shape);
  /// A tensor over the caller's dense row-major `data`, which must outlive
  /// it (inputs passed without a copy; compiled functions never write their
  /// inputs).
  static HostTensor view(ElementKind kind, llvm::ArrayRef<int64_t> shape,
                         void *data);
  /// Takes ownership of dense row-major `data`, which lies in the malloc'd
  /// `allocation` (results of compiled functions, returned without a copy).
  static HostTensor adopt(ElementKind kind, llvm::ArrayRef<int64_t> shape,
                          void *allocation, void *data);

  ElementKind getKind() const { return kind; }
  llvm::ArrayRef<int64_t> getShape() const { return shape; }
  int64_t getNumElements() const { return numElements; }
  size_t getByteSize() const { return numElements * getElementSize(kind); }
  void *getData() { return data.get(); }
  const void *getData() const { return data.get(); }

  /// Element `i` (in row-major order) widened to double.
  double getAsDouble(int64_t i) const;
  /// Sets element `i`, rounding to the element type.
  void setFromDouble(int64_t i, double value);

  /// `2x8x128x64xf32`.
  std::string describe() const;

private:
  ElementKind kind = ElementKind::F32;
  llvm::SmallVector<int64_t> shape;
  int64_t numElements = 0;
  std::unique_ptr<void, HostTensorDeleter> data;
};

/// Reads a `.npy` file.
llvm::Expected<HostTensor> readNpy(llvm::StringRef path);
/// Writes a `.npy` file (format 1.0).
llvm::Error writeNpy(llvm::StringRef path, const HostTensor &tensor);

} // namespace attn
} // namespace mlir

#endif // ATTN_RUNTIME_HOSTTENSOR_H
