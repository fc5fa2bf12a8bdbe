// RUN: attn-opt %s -split-input-file -verify-diagnostics

// Diagnostics of every attn op, one error per chunk: the verifiers, the ODS
// type and attribute constraints and the custom parsers.

// attn.sdpa: ranks of query and key.

func.func @sdpa_query_rank(%q: tensor<8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects query to have rank 4, got 3}}
  %r = attn.sdpa %q, %k, %v : (tensor<8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_key_rank(%q: tensor<2x8x128x64xf32>, %k: tensor<1x2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects key to have rank 4, got 5}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<1x2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// attn.sdpa: key element type.

func.func @sdpa_key_element_type(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf16>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects key to have the query's element type ('f32'), got 'f16'}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf16>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// attn.sdpa: head dims are static.

func.func @sdpa_dynamic_query_head_dim(%q: tensor<2x8x128x?xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects a static query head dim}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x?xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_dynamic_key_head_dim(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x?xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects a static key head dim}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x?xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// attn.sdpa: Hkv > 0 (checked before H % Hkv), and H % Hkv == 0.

func.func @sdpa_zero_kv_heads(%q: tensor<2x8x128x64xf32>, %k: tensor<2x0x128x64xf32>, %v: tensor<2x0x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects key to have at least one head}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x0x128x64xf32>, tensor<2x0x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_zero_kv_heads_dynamic_query_heads(%q: tensor<2x?x128x64xf32>, %k: tensor<2x0x128x64xf32>, %v: tensor<2x0x128x64xf32>) -> tensor<2x?x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects key to have at least one head}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x?x128x64xf32>, tensor<2x0x128x64xf32>, tensor<2x0x128x64xf32>) -> tensor<2x?x128x64xf32>
  return %r : tensor<2x?x128x64xf32>
}

// -----

func.func @sdpa_heads_not_multiple(%q: tensor<2x8x128x64xf32>, %k: tensor<2x3x128x64xf32>, %v: tensor<2x3x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects the query head count (8) to be a multiple of the key head count (3)}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x3x128x64xf32>, tensor<2x3x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// attn.sdpa: batch and head dim of key against query.

func.func @sdpa_batch_mismatch(%q: tensor<2x8x128x64xf32>, %k: tensor<3x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects batch size of key (3) to match query (2)}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<3x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_head_dim_mismatch(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x32xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects head dim of key (32) to match query (64)}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x32xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// attn.sdpa: masks are rank 4, i1 or a float type of f32 or the query's type,
// each dim 1 or the matching dim of [B, H, Sq, Sk].

func.func @sdpa_mask_rank(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>, %m: tensor<128x128xi1>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects mask to have rank 4, got 2}}
  %r = attn.sdpa %q, %k, %v mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<128x128xi1>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_mask_f16_with_f32_query(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>, %m: tensor<2x8x128x128xf16>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects a float mask of f32 or the query's element type ('f32'), got 'f16'}}
  %r = attn.sdpa %q, %k, %v mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x128xf16>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_mask_bf16_with_f16_query(%q: tensor<2x8x128x64xf16>, %k: tensor<2x8x128x64xf16>, %v: tensor<2x8x128x64xf16>, %m: tensor<2x8x128x128xbf16>) -> tensor<2x8x128x64xf16> {
  // expected-error @below {{'attn.sdpa' op expects a float mask of f32 or the query's element type ('f16'), got 'bf16'}}
  %r = attn.sdpa %q, %k, %v mask(%m) : (tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>, tensor<2x8x128x128xbf16>) -> tensor<2x8x128x64xf16>
  return %r : tensor<2x8x128x64xf16>
}

// -----

func.func @sdpa_mask_batch(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>, %m: tensor<3x1x128x128xi1>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects mask dim 0 to be 1 or 2, got 3}}
  %r = attn.sdpa %q, %k, %v mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<3x1x128x128xi1>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_mask_heads(%q: tensor<2x8x128x64xf32>, %k: tensor<2x2x128x64xf32>, %v: tensor<2x2x128x64xf32>, %m: tensor<2x2x128x128xi1>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects mask dim 1 to be 1 or 8, got 2}}
  %r = attn.sdpa %q, %k, %v mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x128xi1>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_mask_query_length(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>, %m: tensor<2x8x64x128xi1>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects mask dim 2 to be 1 or 128, got 64}}
  %r = attn.sdpa %q, %k, %v mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x64x128xi1>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_mask_key_length(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x256x64xf32>, %v: tensor<2x8x256x64xf32>, %m: tensor<1x1x128x128xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects mask dim 3 to be 1 or 256, got 128}}
  %r = attn.sdpa %q, %k, %v mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>, tensor<1x1x128x128xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// attn.sdpa: scale finite, window [left, right] with both >= 0, softcap
// positive and finite.

func.func @sdpa_scale_inf(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects scale to be finite}}
  %r = attn.sdpa %q, %k, %v {scale = 0x7F800000 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_scale_nan(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects scale to be finite}}
  %r = attn.sdpa %q, %k, %v {scale = 0x7FC00000 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_window_one_entry(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects window to have exactly two entries [left, right], got 1}}
  %r = attn.sdpa %q, %k, %v {window = array<i64: 16>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_window_three_entries(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects window to have exactly two entries [left, right], got 3}}
  %r = attn.sdpa %q, %k, %v {window = array<i64: 16, 0, 4>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_window_negative_left(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects window entries to be non-negative}}
  %r = attn.sdpa %q, %k, %v {window = array<i64: -1, 0>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_window_negative_right(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects window entries to be non-negative}}
  %r = attn.sdpa %q, %k, %v {window = array<i64: 16, -4>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_softcap_zero(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects softcap to be positive and finite}}
  %r = attn.sdpa %q, %k, %v {softcap = 0.0 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_softcap_negative(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects softcap to be positive and finite}}
  %r = attn.sdpa %q, %k, %v {softcap = -30.0 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_softcap_inf(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects softcap to be positive and finite}}
  %r = attn.sdpa %q, %k, %v {softcap = 0x7F800000 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// attn.sdpa: the value operand.

func.func @sdpa_value_element_type(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects value to have the query's element type ('f32'), got 'bf16'}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_value_rank(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects value to have rank 4, got 3}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_dynamic_value_head_dim(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x?xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects a static value head dim}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x?xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_zero_value_heads(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x0x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects value to have at least one head}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x0x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_value_heads_not_multiple(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x3x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects the query head count (8) to be a multiple of the value head count (3)}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x3x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_value_batch_mismatch(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<1x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects batch size of value (1) to match query (2)}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<1x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_value_sequence_mismatch(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x64x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects sequence length of value (64) to match key (128)}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x64x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_key_value_heads(%q: tensor<2x8x128x64xf32>, %k: tensor<2x4x128x64xf32>, %v: tensor<2x2x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects key and value to have the same head count, got 4 and 2}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x4x128x64xf32>, tensor<2x2x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// attn.sdpa: the result.

func.func @sdpa_result_element_type(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf16> {
  // expected-error @below {{'attn.sdpa' op expects result element type f32, got 'f16'}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf16>
  return %r : tensor<2x8x128x64xf16>
}

// -----

func.func @sdpa_result_element_type_f16_query(%q: tensor<2x8x128x64xf16>, %k: tensor<2x8x128x64xf16>, %v: tensor<2x8x128x64xf16>) -> tensor<2x8x128x64xbf16> {
  // expected-error @below {{'attn.sdpa' op expects result element type to be the query's element type ('f16') or f32, got 'bf16'}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>) -> tensor<2x8x128x64xbf16>
  return %r : tensor<2x8x128x64xbf16>
}

// -----

func.func @sdpa_result_shape(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x32xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expects result shape [2, 8, 128, 32], got [2, 8, 128, 64]}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x32xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_result_rank(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128xf32> {
  // expected-error @below {{'attn.sdpa' op expects result shape [2, 8, 128, 64], got [2, 8, 128]}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128xf32>
  return %r : tensor<2x8x128xf32>
}

// -----

func.func @sdpa_result_shape_dynamic(%q: tensor<?x?x?x64xf32>, %k: tensor<2x?x?x64xf32>, %v: tensor<2x?x?x64xf32>) -> tensor<2x4x16x32xf32> {
  // expected-error @below {{'attn.sdpa' op expects result shape [2, ?, ?, 64], got [2, 4, 16, 32]}}
  %r = attn.sdpa %q, %k, %v : (tensor<?x?x?x64xf32>, tensor<2x?x?x64xf32>, tensor<2x?x?x64xf32>) -> tensor<2x4x16x32xf32>
  return %r : tensor<2x4x16x32xf32>
}

// -----

// attn.scores: ranks of query and key.

func.func @scores_query_rank(%q: tensor<8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects query to have rank 4, got 3}}
  %r = attn.scores %q, %k : (tensor<8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_key_rank(%q: tensor<2x8x128x64xf32>, %k: tensor<1x2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects key to have rank 4, got 5}}
  %r = attn.scores %q, %k : (tensor<2x8x128x64xf32>, tensor<1x2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

// attn.scores: key element type.

func.func @scores_key_element_type(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf16>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects key to have the query's element type ('f32'), got 'f16'}}
  %r = attn.scores %q, %k : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf16>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

// attn.scores: head dims are static.

func.func @scores_dynamic_query_head_dim(%q: tensor<2x8x128x?xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects a static query head dim}}
  %r = attn.scores %q, %k : (tensor<2x8x128x?xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_dynamic_key_head_dim(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x?xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects a static key head dim}}
  %r = attn.scores %q, %k : (tensor<2x8x128x64xf32>, tensor<2x8x128x?xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

// attn.scores: Hkv > 0 (checked before H % Hkv), and H % Hkv == 0.

func.func @scores_zero_kv_heads(%q: tensor<2x8x128x64xf32>, %k: tensor<2x0x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects key to have at least one head}}
  %r = attn.scores %q, %k : (tensor<2x8x128x64xf32>, tensor<2x0x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_zero_kv_heads_dynamic_query_heads(%q: tensor<2x?x128x64xf32>, %k: tensor<2x0x128x64xf32>) -> tensor<2x?x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects key to have at least one head}}
  %r = attn.scores %q, %k : (tensor<2x?x128x64xf32>, tensor<2x0x128x64xf32>) -> tensor<2x?x128x128xf32>
  return %r : tensor<2x?x128x128xf32>
}

// -----

func.func @scores_heads_not_multiple(%q: tensor<2x8x128x64xf32>, %k: tensor<2x3x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects the query head count (8) to be a multiple of the key head count (3)}}
  %r = attn.scores %q, %k : (tensor<2x8x128x64xf32>, tensor<2x3x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

// attn.scores: batch and head dim of key against query.

func.func @scores_batch_mismatch(%q: tensor<2x8x128x64xf32>, %k: tensor<3x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects batch size of key (3) to match query (2)}}
  %r = attn.scores %q, %k : (tensor<2x8x128x64xf32>, tensor<3x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_head_dim_mismatch(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x32xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects head dim of key (32) to match query (64)}}
  %r = attn.scores %q, %k : (tensor<2x8x128x64xf32>, tensor<2x8x128x32xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

// attn.scores: masks are rank 4, i1 or a float type of f32 or the query's type,
// each dim 1 or the matching dim of [B, H, Sq, Sk].

func.func @scores_mask_rank(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %m: tensor<128x128xi1>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects mask to have rank 4, got 2}}
  %r = attn.scores %q, %k mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<128x128xi1>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_mask_f16_with_f32_query(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %m: tensor<2x8x128x128xf16>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects a float mask of f32 or the query's element type ('f32'), got 'f16'}}
  %r = attn.scores %q, %k mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x128xf16>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_mask_bf16_with_f16_query(%q: tensor<2x8x128x64xf16>, %k: tensor<2x8x128x64xf16>, %m: tensor<2x8x128x128xbf16>) -> tensor<2x8x128x128xf16> {
  // expected-error @below {{'attn.scores' op expects a float mask of f32 or the query's element type ('f16'), got 'bf16'}}
  %r = attn.scores %q, %k mask(%m) : (tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>, tensor<2x8x128x128xbf16>) -> tensor<2x8x128x128xf16>
  return %r : tensor<2x8x128x128xf16>
}

// -----

func.func @scores_mask_batch(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %m: tensor<3x1x128x128xi1>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects mask dim 0 to be 1 or 2, got 3}}
  %r = attn.scores %q, %k mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<3x1x128x128xi1>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_mask_heads(%q: tensor<2x8x128x64xf32>, %k: tensor<2x2x128x64xf32>, %m: tensor<2x2x128x128xi1>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects mask dim 1 to be 1 or 8, got 2}}
  %r = attn.scores %q, %k mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x128xi1>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_mask_query_length(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %m: tensor<2x8x64x128xi1>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects mask dim 2 to be 1 or 128, got 64}}
  %r = attn.scores %q, %k mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x64x128xi1>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_mask_key_length(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x256x64xf32>, %m: tensor<1x1x128x128xf32>) -> tensor<2x8x128x256xf32> {
  // expected-error @below {{'attn.scores' op expects mask dim 3 to be 1 or 256, got 128}}
  %r = attn.scores %q, %k mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x8x256x64xf32>, tensor<1x1x128x128xf32>) -> tensor<2x8x128x256xf32>
  return %r : tensor<2x8x128x256xf32>
}

// -----

// attn.scores: scale finite, window [left, right] with both >= 0, softcap
// positive and finite.

func.func @scores_scale_inf(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects scale to be finite}}
  %r = attn.scores %q, %k {scale = 0x7F800000 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_scale_nan(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects scale to be finite}}
  %r = attn.scores %q, %k {scale = 0x7FC00000 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_window_one_entry(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects window to have exactly two entries [left, right], got 1}}
  %r = attn.scores %q, %k {window = array<i64: 16>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_window_three_entries(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects window to have exactly two entries [left, right], got 3}}
  %r = attn.scores %q, %k {window = array<i64: 16, 0, 4>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_window_negative_left(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects window entries to be non-negative}}
  %r = attn.scores %q, %k {window = array<i64: -1, 0>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_window_negative_right(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects window entries to be non-negative}}
  %r = attn.scores %q, %k {window = array<i64: 16, -4>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_softcap_zero(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects softcap to be positive and finite}}
  %r = attn.scores %q, %k {softcap = 0.0 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_softcap_negative(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects softcap to be positive and finite}}
  %r = attn.scores %q, %k {softcap = -30.0 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_softcap_inf(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects softcap to be positive and finite}}
  %r = attn.scores %q, %k {softcap = 0x7F800000 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

// attn.scores: the result.

func.func @scores_result_element_type(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf16> {
  // expected-error @below {{'attn.scores' op expects result element type f32, got 'f16'}}
  %r = attn.scores %q, %k : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf16>
  return %r : tensor<2x8x128x128xf16>
}

// -----

func.func @scores_result_element_type_f16_query(%q: tensor<2x8x128x64xf16>, %k: tensor<2x8x128x64xf16>) -> tensor<2x8x128x128xbf16> {
  // expected-error @below {{'attn.scores' op expects result element type to be the query's element type ('f16') or f32, got 'bf16'}}
  %r = attn.scores %q, %k : (tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>) -> tensor<2x8x128x128xbf16>
  return %r : tensor<2x8x128x128xbf16>
}

// -----

func.func @scores_result_shape(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x256x64xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.scores' op expects result shape [2, 8, 128, 256], got [2, 8, 128, 128]}}
  %r = attn.scores %q, %k : (tensor<2x8x128x64xf32>, tensor<2x8x256x64xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @scores_result_rank(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128x1xf32> {
  // expected-error @below {{'attn.scores' op expects result shape [2, 8, 128, 128], got [2, 8, 128, 128, 1]}}
  %r = attn.scores %q, %k : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128x1xf32>
  return %r : tensor<2x8x128x128x1xf32>
}

// -----

// attn.softmax: rank >= 1, result of the input's shape and element type or f32.

func.func @softmax_rank0(%s: tensor<f32>) -> tensor<f32> {
  // expected-error @below {{'attn.softmax' op expects input to have rank >= 1}}
  %r = attn.softmax %s : (tensor<f32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

func.func @softmax_result_element_type(%s: tensor<2x8x128x128xf16>) -> tensor<2x8x128x128xbf16> {
  // expected-error @below {{'attn.softmax' op expects result element type to be the input's element type ('f16') or f32, got 'bf16'}}
  %r = attn.softmax %s : (tensor<2x8x128x128xf16>) -> tensor<2x8x128x128xbf16>
  return %r : tensor<2x8x128x128xbf16>
}

// -----

func.func @softmax_result_shape(%s: tensor<2x8x128x128xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.softmax' op expects result shape [2, 8, 128, 128], got [2, 8, 128, 64]}}
  %r = attn.softmax %s : (tensor<2x8x128x128xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @softmax_result_rank(%s: tensor<2x8x128x128xf32>) -> tensor<16x128x128xf32> {
  // expected-error @below {{'attn.softmax' op expects result shape [2, 8, 128, 128], got [16, 128, 128]}}
  %r = attn.softmax %s : (tensor<2x8x128x128xf32>) -> tensor<16x128x128xf32>
  return %r : tensor<16x128x128xf32>
}

// -----

// attn.weighted_sum: probs are [B, H, Sq, Sk] of f32 or the value's element
// type.

func.func @weighted_sum_probs_rank(%p: tensor<8x128x128xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.weighted_sum' op expects probs to have rank 4, got 3}}
  %r = attn.weighted_sum %p, %v : (tensor<8x128x128xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @weighted_sum_probs_element_type(%p: tensor<2x8x128x128xf16>, %v: tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xbf16> {
  // expected-error @below {{'attn.weighted_sum' op expects probs of f32 or the value's element type ('bf16'), got 'f16'}}
  %r = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf16>, tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xbf16>
  return %r : tensor<2x8x128x64xbf16>
}

// -----

// attn.weighted_sum: the value is [B, Hkv, Sk, Dv] with a static Dv, Hkv > 0
// and H % Hkv == 0.

func.func @weighted_sum_value_rank(%p: tensor<2x8x128x128xf32>, %v: tensor<128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.weighted_sum' op expects value to have rank 4, got 2}}
  %r = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf32>, tensor<128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @weighted_sum_dynamic_value_head_dim(%p: tensor<2x8x128x128xf32>, %v: tensor<2x8x128x?xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.weighted_sum' op expects a static value head dim}}
  %r = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf32>, tensor<2x8x128x?xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @weighted_sum_zero_value_heads(%p: tensor<2x8x128x128xf32>, %v: tensor<2x0x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.weighted_sum' op expects value to have at least one head}}
  %r = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf32>, tensor<2x0x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @weighted_sum_value_heads_not_multiple(%p: tensor<2x8x128x128xf32>, %v: tensor<2x5x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.weighted_sum' op expects the probs head count (8) to be a multiple of the value head count (5)}}
  %r = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf32>, tensor<2x5x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @weighted_sum_batch_mismatch(%p: tensor<2x8x128x128xf32>, %v: tensor<4x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.weighted_sum' op expects batch size of value (4) to match probs (2)}}
  %r = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf32>, tensor<4x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @weighted_sum_sequence_mismatch(%p: tensor<2x8x128x128xf32>, %v: tensor<2x8x256x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.weighted_sum' op expects sequence length of value (256) to match probs dim 3 (128)}}
  %r = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf32>, tensor<2x8x256x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// attn.weighted_sum: the result is [B, H, Sq, Dv] of the value's element type
// or f32.

func.func @weighted_sum_result_element_type(%p: tensor<2x8x128x128xf32>, %v: tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xf16> {
  // expected-error @below {{'attn.weighted_sum' op expects result element type to be the value's element type ('bf16') or f32, got 'f16'}}
  %r = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf32>, tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xf16>
  return %r : tensor<2x8x128x64xf16>
}

// -----

func.func @weighted_sum_result_shape(%p: tensor<2x8x128x128xf32>, %v: tensor<2x2x128x32xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.weighted_sum' op expects result shape [2, 8, 128, 32], got [2, 8, 128, 64]}}
  %r = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf32>, tensor<2x2x128x32xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// attn.project: x is [B, S, E], w is [H*D, E] of x's element type.

func.func @project_input_rank(%x: tensor<128x512xf32>, %w: tensor<512x512xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.project' op expects input to have rank 3, got 2}}
  %r = attn.project %x, %w {num_heads = 8 : i64} : (tensor<128x512xf32>, tensor<512x512xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @project_weight_rank(%x: tensor<2x128x512xf32>, %w: tensor<8x64x512xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.project' op expects weight to have rank 2, got 3}}
  %r = attn.project %x, %w {num_heads = 8 : i64} : (tensor<2x128x512xf32>, tensor<8x64x512xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @project_weight_element_type(%x: tensor<2x128x512xf32>, %w: tensor<512x512xbf16>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.project' op expects weight to have the input's element type ('f32'), got 'bf16'}}
  %r = attn.project %x, %w {num_heads = 8 : i64} : (tensor<2x128x512xf32>, tensor<512x512xbf16>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// attn.project: num_heads >= 1 divides the static projection width.

func.func @project_zero_heads(%x: tensor<2x128x512xf32>, %w: tensor<512x512xf32>) -> tensor<2x0x128x64xf32> {
  // expected-error @below {{'attn.project' op expects num_heads >= 1, got 0}}
  %r = attn.project %x, %w {num_heads = 0 : i64} : (tensor<2x128x512xf32>, tensor<512x512xf32>) -> tensor<2x0x128x64xf32>
  return %r : tensor<2x0x128x64xf32>
}

// -----

func.func @project_negative_heads(%x: tensor<2x128x512xf32>, %w: tensor<512x512xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.project' op expects num_heads >= 1, got -8}}
  %r = attn.project %x, %w {num_heads = -8 : i64} : (tensor<2x128x512xf32>, tensor<512x512xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @project_dynamic_width(%x: tensor<2x128x512xf32>, %w: tensor<?x512xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.project' op expects a static projection width (weight dim 0)}}
  %r = attn.project %x, %w {num_heads = 8 : i64} : (tensor<2x128x512xf32>, tensor<?x512xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @project_heads_not_dividing(%x: tensor<2x128x512xf32>, %w: tensor<512x512xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.project' op expects num_heads (6) to divide the projection width (512)}}
  %r = attn.project %x, %w {num_heads = 6 : i64} : (tensor<2x128x512xf32>, tensor<512x512xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// attn.project: w's dim 1 is E.

func.func @project_input_width(%x: tensor<2x128x512xf32>, %w: tensor<512x256xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.project' op expects weight dim 1 (256) to match input dim 2 (512)}}
  %r = attn.project %x, %w {num_heads = 8 : i64} : (tensor<2x128x512xf32>, tensor<512x256xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// attn.project: bias is [H*D] of x's element type.

func.func @project_bias_element_type(%x: tensor<2x128x512xf32>, %w: tensor<512x512xf32>, %b: tensor<512xf16>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.project' op expects bias to have the input's element type ('f32'), got 'f16'}}
  %r = attn.project %x, %w bias(%b) {num_heads = 8 : i64} : (tensor<2x128x512xf32>, tensor<512x512xf32>, tensor<512xf16>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @project_bias_length(%x: tensor<2x128x512xf32>, %w: tensor<512x512xf32>, %b: tensor<64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.project' op expects bias of shape [512], got [64]}}
  %r = attn.project %x, %w bias(%b) {num_heads = 8 : i64} : (tensor<2x128x512xf32>, tensor<512x512xf32>, tensor<64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @project_bias_rank(%x: tensor<2x128x512xf32>, %w: tensor<512x512xf32>, %b: tensor<8x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.project' op expects bias of shape [512], got [8, 64]}}
  %r = attn.project %x, %w bias(%b) {num_heads = 8 : i64} : (tensor<2x128x512xf32>, tensor<512x512xf32>, tensor<8x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// attn.project: the result is [B, H, S, D].

func.func @project_result_element_type(%x: tensor<2x128x512xf16>, %w: tensor<512x512xf16>) -> tensor<2x8x128x64xbf16> {
  // expected-error @below {{'attn.project' op expects result element type to be the input's element type ('f16') or f32, got 'bf16'}}
  %r = attn.project %x, %w {num_heads = 8 : i64} : (tensor<2x128x512xf16>, tensor<512x512xf16>) -> tensor<2x8x128x64xbf16>
  return %r : tensor<2x8x128x64xbf16>
}

// -----

func.func @project_result_shape(%x: tensor<2x128x512xf32>, %w: tensor<512x512xf32>) -> tensor<2x128x8x64xf32> {
  // expected-error @below {{'attn.project' op expects result shape [2, 8, 128, 64], got [2, 128, 8, 64]}}
  %r = attn.project %x, %w {num_heads = 8 : i64} : (tensor<2x128x512xf32>, tensor<512x512xf32>) -> tensor<2x128x8x64xf32>
  return %r : tensor<2x128x8x64xf32>
}

// -----

func.func @project_result_rank(%x: tensor<2x128x512xf32>, %w: tensor<512x512xf32>) -> tensor<2x128x512xf32> {
  // expected-error @below {{'attn.project' op expects result shape [2, 8, 128, 64], got [2, 128, 512]}}
  %r = attn.project %x, %w {num_heads = 8 : i64} : (tensor<2x128x512xf32>, tensor<512x512xf32>) -> tensor<2x128x512xf32>
  return %r : tensor<2x128x512xf32>
}

// -----

// attn.output_project: a is [B, H, S, D], w is [E, H*D] of a's element type.

func.func @output_project_input_rank(%a: tensor<2x128x512xf32>, %w: tensor<512x512xf32>) -> tensor<2x128x512xf32> {
  // expected-error @below {{'attn.output_project' op expects input to have rank 4, got 3}}
  %r = attn.output_project %a, %w : (tensor<2x128x512xf32>, tensor<512x512xf32>) -> tensor<2x128x512xf32>
  return %r : tensor<2x128x512xf32>
}

// -----

func.func @output_project_weight_rank(%a: tensor<2x8x128x64xf32>, %w: tensor<512xf32>) -> tensor<2x128x512xf32> {
  // expected-error @below {{'attn.output_project' op expects weight to have rank 2, got 1}}
  %r = attn.output_project %a, %w : (tensor<2x8x128x64xf32>, tensor<512xf32>) -> tensor<2x128x512xf32>
  return %r : tensor<2x128x512xf32>
}

// -----

func.func @output_project_weight_element_type(%a: tensor<2x8x128x64xf32>, %w: tensor<512x512xf16>) -> tensor<2x128x512xf32> {
  // expected-error @below {{'attn.output_project' op expects weight to have the input's element type ('f32'), got 'f16'}}
  %r = attn.output_project %a, %w : (tensor<2x8x128x64xf32>, tensor<512x512xf16>) -> tensor<2x128x512xf32>
  return %r : tensor<2x128x512xf32>
}

// -----

func.func @output_project_dynamic_head_dim(%a: tensor<2x8x128x?xf32>, %w: tensor<512x512xf32>) -> tensor<2x128x512xf32> {
  // expected-error @below {{'attn.output_project' op expects a static input head dim}}
  %r = attn.output_project %a, %w : (tensor<2x8x128x?xf32>, tensor<512x512xf32>) -> tensor<2x128x512xf32>
  return %r : tensor<2x128x512xf32>
}

// -----

func.func @output_project_weight_width(%a: tensor<2x8x128x64xf32>, %w: tensor<512x256xf32>) -> tensor<2x128x512xf32> {
  // expected-error @below {{'attn.output_project' op expects weight dim 1 to be heads * head dim (512), got 256}}
  %r = attn.output_project %a, %w : (tensor<2x8x128x64xf32>, tensor<512x256xf32>) -> tensor<2x128x512xf32>
  return %r : tensor<2x128x512xf32>
}

// -----

// attn.output_project: bias is [E] of a's element type.

func.func @output_project_bias_element_type(%a: tensor<2x8x128x64xf32>, %w: tensor<512x512xf32>, %b: tensor<512xbf16>) -> tensor<2x128x512xf32> {
  // expected-error @below {{'attn.output_project' op expects bias to have the input's element type ('f32'), got 'bf16'}}
  %r = attn.output_project %a, %w bias(%b) : (tensor<2x8x128x64xf32>, tensor<512x512xf32>, tensor<512xbf16>) -> tensor<2x128x512xf32>
  return %r : tensor<2x128x512xf32>
}

// -----

func.func @output_project_bias_length(%a: tensor<2x8x128x64xf32>, %w: tensor<256x512xf32>, %b: tensor<512xf32>) -> tensor<2x128x256xf32> {
  // expected-error @below {{'attn.output_project' op expects bias of shape [256], got [512]}}
  %r = attn.output_project %a, %w bias(%b) : (tensor<2x8x128x64xf32>, tensor<256x512xf32>, tensor<512xf32>) -> tensor<2x128x256xf32>
  return %r : tensor<2x128x256xf32>
}

// -----

func.func @output_project_bias_rank(%a: tensor<2x8x128x64xf32>, %w: tensor<512x512xf32>, %b: tensor<1x512xf32>) -> tensor<2x128x512xf32> {
  // expected-error @below {{'attn.output_project' op expects bias of shape [512], got [1, 512]}}
  %r = attn.output_project %a, %w bias(%b) : (tensor<2x8x128x64xf32>, tensor<512x512xf32>, tensor<1x512xf32>) -> tensor<2x128x512xf32>
  return %r : tensor<2x128x512xf32>
}

// -----

func.func @output_project_bias_dynamic_embed(%a: tensor<2x8x128x64xf32>, %w: tensor<?x512xf32>, %b: tensor<f32>) -> tensor<2x128x?xf32> {
  // expected-error @below {{'attn.output_project' op expects bias of shape [?], got []}}
  %r = attn.output_project %a, %w bias(%b) : (tensor<2x8x128x64xf32>, tensor<?x512xf32>, tensor<f32>) -> tensor<2x128x?xf32>
  return %r : tensor<2x128x?xf32>
}

// -----

// attn.output_project: the result is [B, S, E].

func.func @output_project_result_element_type(%a: tensor<2x8x128x64xbf16>, %w: tensor<512x512xbf16>) -> tensor<2x128x512xf16> {
  // expected-error @below {{'attn.output_project' op expects result element type to be the input's element type ('bf16') or f32, got 'f16'}}
  %r = attn.output_project %a, %w : (tensor<2x8x128x64xbf16>, tensor<512x512xbf16>) -> tensor<2x128x512xf16>
  return %r : tensor<2x128x512xf16>
}

// -----

func.func @output_project_result_shape(%a: tensor<2x8x128x64xf32>, %w: tensor<256x512xf32>) -> tensor<2x128x512xf32> {
  // expected-error @below {{'attn.output_project' op expects result shape [2, 128, 256], got [2, 128, 512]}}
  %r = attn.output_project %a, %w : (tensor<2x8x128x64xf32>, tensor<256x512xf32>) -> tensor<2x128x512xf32>
  return %r : tensor<2x128x512xf32>
}

// -----

func.func @output_project_result_rank(%a: tensor<2x8x128x64xf32>, %w: tensor<512x512xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.output_project' op expects result shape [2, 128, 512], got [2, 8, 128, 64]}}
  %r = attn.output_project %a, %w : (tensor<2x8x128x64xf32>, tensor<512x512xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// Operand and result type constraints: f32, f16 or bf16 ranked tensors; masks
// may also be i1.

func.func @sdpa_f64(%q: tensor<2x8x128x64xf64>, %k: tensor<2x8x128x64xf64>, %v: tensor<2x8x128x64xf64>) -> tensor<2x8x128x64xf64> {
  // expected-error @below {{'attn.sdpa' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x128x64xf64>'}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf64>, tensor<2x8x128x64xf64>, tensor<2x8x128x64xf64>) -> tensor<2x8x128x64xf64>
  return %r : tensor<2x8x128x64xf64>
}

// -----

func.func @sdpa_integer_query(%q: tensor<2x8x128x64xi32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x128x64xi32>'}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xi32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_f64_value(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf64>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op operand #2 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x128x64xf64>'}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf64>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_f64_result(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf64> {
  // expected-error @below {{'attn.sdpa' op result #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x128x64xf64>'}}
  %r = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf64>
  return %r : tensor<2x8x128x64xf64>
}

// -----

func.func @sdpa_unranked_query(%q: tensor<*xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<*xf32>'}}
  %r = attn.sdpa %q, %k, %v : (tensor<*xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_integer_mask(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>, %m: tensor<2x8x128x128xi8>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op operand #3 must be ranked tensor of 1-bit signless integer or 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x128x128xi8>'}}
  %r = attn.sdpa %q, %k, %v mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x128xi8>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @softmax_memref(%s: memref<2x8x128x128xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{'attn.softmax' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'memref<2x8x128x128xf32>'}}
  %r = attn.softmax %s : (memref<2x8x128x128xf32>) -> tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}

// -----

func.func @weighted_sum_f64_probs(%p: tensor<2x8x128x128xf64>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.weighted_sum' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x128x128xf64>'}}
  %r = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf64>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @project_integer_input(%x: tensor<2x128x512xi8>, %w: tensor<512x512xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.project' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x128x512xi8>'}}
  %r = attn.project %x, %w {num_heads = 8 : i64} : (tensor<2x128x512xi8>, tensor<512x512xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @output_project_f64_bias(%a: tensor<2x8x128x64xf32>, %w: tensor<512x512xf32>, %b: tensor<512xf64>) -> tensor<2x128x512xf32> {
  // expected-error @below {{'attn.output_project' op operand #2 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<512xf64>'}}
  %r = attn.output_project %a, %w bias(%b) : (tensor<2x8x128x64xf32>, tensor<512x512xf32>, tensor<512xf64>) -> tensor<2x128x512xf32>
  return %r : tensor<2x128x512xf32>
}

// -----

// Attribute constraints, checked when the custom form is parsed. Upstream
// prefixes these with "custom op 'attn.sdpa' 'attn.sdpa' op": only the tail is
// matched.

func.func @sdpa_scale_f64(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{attribute 'scale' failed to satisfy constraint: 32-bit float attribute}}
  %r = attn.sdpa %q, %k, %v {scale = 0.125 : f64} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_softcap_integer(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{attribute 'softcap' failed to satisfy constraint: 32-bit float attribute}}
  %r = attn.sdpa %q, %k, %v {softcap = 30 : i32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_window_i32(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{attribute 'window' failed to satisfy constraint: i64 dense array attribute}}
  %r = attn.sdpa %q, %k, %v {window = array<i32: 16, 0>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_causal_bool(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{attribute 'causal' failed to satisfy constraint: unit attribute}}
  %r = attn.sdpa %q, %k, %v {causal = true} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @project_num_heads_i32(%x: tensor<2x128x512xf32>, %w: tensor<512x512xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{attribute 'num_heads' failed to satisfy constraint: 64-bit signless integer attribute}}
  %r = attn.project %x, %w {num_heads = 8 : i32} : (tensor<2x128x512xf32>, tensor<512x512xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

func.func @project_missing_num_heads(%x: tensor<2x128x512xf32>, %w: tensor<512x512xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.project' op requires attribute 'num_heads'}}
  %r = attn.project %x, %w : (tensor<2x128x512xf32>, tensor<512x512xf32>) -> tensor<2x8x128x64xf32>
  return %r : tensor<2x8x128x64xf32>
}

// -----

// The generic form reaches the same constraints in the verifier, plus the
// operand counts.

func.func @generic_sdpa_scale_f64(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op attribute 'scale' failed to satisfy constraint: 32-bit float attribute}}
  %o = "attn.sdpa"(%q, %k, %v) <{scale = 0.125 : f64}> : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// -----

func.func @generic_sdpa_too_few_operands(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op expected 3 or more operands, but found 2}}
  %o = "attn.sdpa"(%q, %k) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// -----

func.func @generic_sdpa_two_masks(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>, %m: tensor<2x1x128x128xi1>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{'attn.sdpa' op operand group starting at #3 requires 0 or 1 element, but found 2}}
  %o = "attn.sdpa"(%q, %k, %v, %m, %m) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x1x128x128xi1>, tensor<2x1x128x128xi1>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// -----

// Malformed custom syntax.

func.func @softmax_missing_type(%s: tensor<2x8x128x128xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @+1 {{expected ':'}}
  %p = attn.softmax %s
  return %p : tensor<2x8x128x128xf32>
}

// -----

func.func @softmax_non_function_type(%s: tensor<2x8x128x128xf32>) -> tensor<2x8x128x128xf32> {
  // expected-error @below {{invalid kind of type specified: expected builtin.function, but found 'tensor<2x8x128x128xf32>'}}
  %p = attn.softmax %s : tensor<2x8x128x128xf32>
  return %p : tensor<2x8x128x128xf32>
}

// -----

func.func @sdpa_missing_operand_type(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{number of operands and types do not match: got 3 operands and 2 types}}
  %o = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// -----

func.func @sdpa_mask_without_parens(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>, %m: tensor<2x1x128x128xi1>) -> tensor<2x8x128x64xf32> {
  // expected-error @below {{expected '('}}
  %o = attn.sdpa %q, %k, %v mask %m : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x1x128x128xi1>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// -----

// Zero-sized head dims would make the default scale 1/sqrt(0).
func.func @sdpa_zero_head_dim(%q: tensor<1x1x4x0xf32>, %k: tensor<1x1x4x0xf32>, %v: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  // expected-error @below {{'attn.sdpa' op expects a non-zero query head dim}}
  %r = attn.sdpa %q, %k, %v : (tensor<1x1x4x0xf32>, tensor<1x1x4x0xf32>, tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32>
  return %r : tensor<1x1x4x8xf32>
}

// -----

// heads * head dim must not wrap around.
func.func @output_project_width_overflow(%a: tensor<1x4611686018427387904x1x4xf32>, %w: tensor<8x0xf32>) -> tensor<1x1x8xf32> {
  // expected-error @below {{'attn.output_project' op expects heads * head dim to fit in 64 bits}}
  %r = attn.output_project %a, %w : (tensor<1x4611686018427387904x1x4xf32>, tensor<8x0xf32>) -> tensor<1x1x8xf32>
  return %r : tensor<1x1x8xf32>
}

// -----

// attn.workspace_acquire: one size per dynamic dimension.
func.func @workspace_sizes(%n: index) {
  // expected-error @below {{'attn.workspace_acquire' op expects one size per dynamic dimension (2), got 1}}
  %w = attn.workspace_acquire(%n) : memref<?x?xf32>
  return
}

// -----

func.func @workspace_layout() {
  // expected-error @below {{'attn.workspace_acquire' op expects an identity-layout memref, got 'memref<4x4xf32, strided<[8, 1]>>'}}
  %w = attn.workspace_acquire() : memref<4x4xf32, strided<[8, 1]>>
  return
}

// -----

func.func @workspace_memory_space() {
  // expected-error @below {{'attn.workspace_acquire' op expects the default memory space, got 1 : i64}}
  %w = attn.workspace_acquire() : memref<4xf32, 1>
  return
}

// -----

func.func @workspace_element_type() {
  // expected-error @below {{'attn.workspace_acquire' op expects integer or float elements of whole bytes, got 'i1'}}
  %w = attn.workspace_acquire() : memref<4xi1>
  return
}

// -----

func.func @workspace_release_layout(%w: memref<4x4xf32, strided<[8, 1]>>) {
  // expected-error @below {{'attn.workspace_release' op expects an identity-layout memref, got 'memref<4x4xf32, strided<[8, 1]>>'}}
  attn.workspace_release %w : memref<4x4xf32, strided<[8, 1]>>
  return
}

// -----

func.func @workspace_release_tensor(%w: tensor<4xf32>) {
  // expected-error @below {{invalid kind of type specified: expected builtin.memref, but found 'tensor<4xf32>'}}
  attn.workspace_release %w : tensor<4xf32>
  return
}
