// Shapes whose byte size overflows 64 bits are rejected by the lowerings
// with a diagnostic, not compiled into wrapping index arithmetic.
// RUN: attn-opt %s --convert-attn-to-linalg -split-input-file -verify-diagnostics
// RUN: attn-opt %s --attn-flash -split-input-file -verify-diagnostics

func.func @huge_batch(%q: tensor<4611686018427387904x8x16x8xf32>) -> tensor<4611686018427387904x8x16x8xf32> {
  // expected-error @below {{'attn.sdpa' op has a tensor too large to index with 64 bits: 'tensor<4611686018427387904x8x16x8xf32>'}}
  %o = attn.sdpa %q, %q, %q : (tensor<4611686018427387904x8x16x8xf32>, tensor<4611686018427387904x8x16x8xf32>, tensor<4611686018427387904x8x16x8xf32>) -> tensor<4611686018427387904x8x16x8xf32>
  return %o : tensor<4611686018427387904x8x16x8xf32>
}

// -----

// Dynamic dims are not counted; the static ones still overflow.
func.func @huge_static_dims(%q: tensor<?x1099511627776x1099511627776x8xf16>) -> tensor<?x1099511627776x1099511627776x8xf16> {
  // expected-error @below {{'attn.sdpa' op has a tensor too large to index with 64 bits}}
  %o = attn.sdpa %q, %q, %q : (tensor<?x1099511627776x1099511627776x8xf16>, tensor<?x1099511627776x1099511627776x8xf16>, tensor<?x1099511627776x1099511627776x8xf16>) -> tensor<?x1099511627776x1099511627776x8xf16>
  return %o : tensor<?x1099511627776x1099511627776x8xf16>
}
