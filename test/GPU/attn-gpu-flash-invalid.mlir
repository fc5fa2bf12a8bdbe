// RUN: attn-opt %s --attn-gpu-flash -split-input-file -verify-diagnostics
// RUN: not attn-opt %s --attn-gpu-flash="key-block=24" 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not attn-opt %s --attn-gpu-flash="key-block=256" -split-input-file 2>&1 | FileCheck %s --check-prefix=SMEM

// RUN: not attn-opt %s --attn-gpu-flash="key-splits=-2" 2>&1 | FileCheck %s --check-prefix=BLOCK
// BLOCK: error: attn-gpu-flash: key-block must be a positive multiple of 16 and key-splits in [0, 1024]
// SMEM: error: 'attn.sdpa' op cannot be lowered to a GPU kernel: key-block 256 needs 295936 bytes of shared memory, more than 98304

func.func @f32(%q: tensor<1x1x8x64xf32>) -> tensor<1x1x8x64xf32> {
  // expected-error @below {{cannot be lowered to a GPU kernel: the GPU kernel takes f16 or bf16 q/k/v (tensor-core mma.sync); convert f32 inputs first}}
  %o = attn.sdpa %q, %q, %q : (tensor<1x1x8x64xf32>, tensor<1x1x8x64xf32>, tensor<1x1x8x64xf32>) -> tensor<1x1x8x64xf32>
  return %o : tensor<1x1x8x64xf32>
}

// -----

func.func @odd_head_dim(%q: tensor<1x1x8x72xf16>) -> tensor<1x1x8x72xf16> {
  // expected-error @below {{the GPU kernel needs head dims that are multiples of 16, up to 128 (got D = 72, Dv = 72)}}
  %o = attn.sdpa %q, %q, %q : (tensor<1x1x8x72xf16>, tensor<1x1x8x72xf16>, tensor<1x1x8x72xf16>) -> tensor<1x1x8x72xf16>
  return %o : tensor<1x1x8x72xf16>
}

// -----

func.func @large_head_dim(%q: tensor<1x1x8x256xbf16>) -> tensor<1x1x8x256xbf16> {
  // expected-error @below {{the GPU kernel needs head dims that are multiples of 16, up to 128 (got D = 256, Dv = 256)}}
  %o = attn.sdpa %q, %q, %q : (tensor<1x1x8x256xbf16>, tensor<1x1x8x256xbf16>, tensor<1x1x8x256xbf16>) -> tensor<1x1x8x256xbf16>
  return %o : tensor<1x1x8x256xbf16>
}

// -----

func.func @d128(%q: tensor<1x1x8x128xf16>) -> tensor<1x1x8x128xf16> {
  %o = attn.sdpa %q, %q, %q : (tensor<1x1x8x128xf16>, tensor<1x1x8x128xf16>, tensor<1x1x8x128xf16>) -> tensor<1x1x8x128xf16>
  return %o : tensor<1x1x8x128xf16>
}
