# Executes attn.sdpa on fresh random inputs and compares with the float64
# NumPy oracle.
# REQUIRES: attn-run, numpy
# RUN: %python %s --pipeline=reference
# RUN: %python %s --pipeline=cpu
# RUN: %python %s --pipeline=cpu --threads=1
# Other flash tilings: 16-lane vectors (the AVX-512 shape, legalized on any
# host), 4 query vectors per block, small key blocks.
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{vector-width=16 query-block=32 key-block=48})"
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{query-block=32 key-block=12 threads=2})"
# 16 lanes with the default 48-row blocks: K packed by 8 x 8 transposes.
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{vector-width=16 key-block=32})"
# One vector of rows in 16 lanes: 24-key tiles, packed element by element.
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{vector-width=16 query-block=16})"
# 12-lane vectors, not a power of two: Q^T is packed element by element
# instead of by register transposes.
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{vector-width=12})"
# Keys split across tasks and combined by log-sum-exp.
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{key-splits=3 key-block=12})"
# Three row blocks per task taking turns on each key block (groups that do
# not divide the blocks, causal ends that differ within a group).
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{blocks-per-task=3 key-block=12})"

import numpy as np

from attn_testing import Runner, sdpa_case

r = Runner()


def case(name, *args, **kwargs):
    sdpa_case(r, name, *args, **kwargs)


case("plain", 2, 4, 4, 64, 64, 32, 32)
case("cross_odd_sizes", 1, 2, 2, 17, 45, 24, 40)
case("head_dims_not_vector_multiples", 1, 2, 2, 19, 23, 12, 20, causal=True)
case("tiny_head_dims", 2, 3, 1, 5, 7, 4, 4, window=(2, 1))
case("causal_sq_lt_sk", 1, 2, 2, 16, 40, 32, 32, causal=True)
case("causal_sq_gt_sk", 1, 2, 2, 40, 16, 32, 32, causal=True)
case("causal_square", 2, 2, 2, 33, 33, 16, 16, causal=True)
case("window", 1, 2, 2, 48, 48, 16, 16, window=(8, 4))
case("window_causal", 1, 2, 2, 30, 50, 16, 16, causal=True, window=(8, 0))
case("gqa", 2, 8, 2, 20, 28, 16, 24)
case("mqa", 1, 4, 1, 20, 28, 16, 16, causal=True)
case("bool_mask_broadcast_keys", 2, 4, 2, 16, 24, 16, 16, mask="bool",
     mask_shape=(2, 1, 1, 24))
case("bool_mask_broadcast_heads", 2, 4, 4, 16, 24, 16, 16, mask="bool",
     mask_shape=(1, 1, 16, 24))
case("additive_mask_f32", 1, 4, 4, 16, 24, 16, 16, mask="float",
     mask_dtype="f32", mask_shape=(1, 4, 16, 24))
case("additive_mask_broadcast", 2, 2, 2, 16, 24, 16, 16, mask="float",
     mask_dtype="f32", mask_shape=(2, 1, 16, 1))
case("fully_masked_row_bool", 1, 2, 2, 8, 12, 16, 16, mask="bool",
     mask_shape=(1, 2, 8, 12), rows_masked=(3,))
case("fully_masked_row_additive", 1, 2, 2, 8, 12, 16, 16, mask="float",
     mask_dtype="f32", mask_shape=(1, 1, 8, 12), rows_masked=(0, 5))
case("softcap", 1, 2, 2, 16, 16, 32, 32, softcap=5.0, logit_scale=4.0)
case("explicit_scale", 1, 2, 2, 16, 20, 32, 32, scale=0.3)
case("f16", 1, 4, 2, 32, 48, 32, 32, dtype="f16", causal=True)
case("f16_additive_mask", 1, 2, 2, 16, 16, 16, 16, dtype="f16", mask="float",
     mask_dtype="f16", mask_shape=(1, 1, 16, 16))
case("bf16", 1, 4, 2, 32, 48, 32, 32, dtype="bf16")
case("bf16_window", 1, 2, 2, 32, 32, 32, 32, dtype="bf16", window=(4, 4))
case("logits_x100", 1, 2, 2, 24, 24, 32, 32, scale=100.0 / np.sqrt(32))
case("decode", 1, 8, 2, 1, 1000, 64, 64)
case("several_key_blocks", 1, 2, 1, 70, 300, 32, 48, causal=True,
     mask="bool", mask_shape=(1, 1, 70, 300))
case("decode_causal", 1, 8, 2, 1, 1000, 64, 64, causal=True, window=(256, 0))
# Enough rows per kv head (>= 4 row blocks) that K is packed once into key
# tiles; windows then start their key range at a tile boundary.
case("packed_keys_window", 1, 4, 1, 200, 230, 40, 24, window=(24, 8))
case("packed_keys_window_causal", 2, 4, 2, 150, 170, 64, 64, causal=True,
     window=(50, 0))
case("packed_keys_f16", 1, 8, 1, 80, 120, 32, 32, dtype="f16", window=(30, 5))
case("packed_keys_odd_tail", 1, 2, 1, 300, 301, 16, 16, causal=True)
case("packed_keys_gqa_causal_bf16", 1, 6, 2, 50, 77, 32, 32, dtype="bf16",
     causal=True)
case("packed_keys_masked_rows", 1, 2, 1, 60, 70, 16, 16, mask="bool",
     mask_shape=(1, 1, 60, 70), rows_masked=(0, 59))
# Head dims past 128 (Qt and O then outgrow L1), not multiples of the
# vector width, with K packed (140 rows per kv head), read in place (9 rows)
# or widened from bf16 into packed panels (100 rows: four 24-row blocks).
case("deep_heads_packed", 1, 2, 1, 70, 90, 300, 200, causal=True)
case("deep_heads_in_place", 1, 2, 2, 9, 40, 260, 136, mask="bool",
     mask_shape=(1, 2, 9, 40), rows_masked=(4,))
case("deep_heads_bf16", 1, 4, 2, 50, 60, 257, 64, dtype="bf16",
     window=(20, 3))
# K and V panels of 1.1 MiB per kv head (240 rows): with 16 lanes (the
# vector-width=16 runs, and AVX-512 hosts) four row blocks per task by
# default.
case("automatic_row_groups", 1, 4, 1, 60, 1100, 128, 128, causal=True)
case("dynamic_shapes", 2, 4, 2, 13, 29, 16, 24, dynamic=True, causal=True)
case("dynamic_query_heads_static_kv_heads", 2, 6, 2, 11, 21, 16, 16,
     dynamic=True, static_kv_heads=True, window=(5, 5))
case("dynamic_shapes_mask", 1, 2, 1, 9, 31, 16, 16, dynamic=True,
     mask="bool", mask_shape=(1, 1, 9, 31))
# Q/K/V and the result as [B, S, H, D] (heads split and merged by
# transposes, as after the projections): read and written in place.
case("seq_major", 2, 4, 4, 37, 45, 32, 24, seq_major=True)
case("seq_major_gqa_causal", 1, 8, 2, 40, 40, 16, 16, causal=True,
     seq_major=True)
case("seq_major_packed_keys_mask", 1, 4, 1, 150, 160, 32, 32, seq_major=True,
     mask="bool", mask_shape=(1, 1, 150, 160))
case("seq_major_decode", 1, 8, 2, 1, 300, 64, 64, seq_major=True)
case("seq_major_f16", 1, 2, 2, 33, 20, 16, 16, dtype="f16", seq_major=True)
case("seq_major_dynamic", 2, 4, 2, 13, 29, 16, 24, dynamic=True,
     seq_major=True)

r.finish()
