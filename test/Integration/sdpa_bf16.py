# Executes bf16 attn.sdpa on fresh random inputs and compares with the float64
# NumPy oracle. On hosts with AMX-BF16 the `cpu` pipeline runs these on AMX
# tiles (except decoding, with fewer than 16 rows per key/value head), on
# hosts with AVX512-BF16 on vector dot products (bf16-dot.test), elsewhere on
# the f32 FMA kernel.
# REQUIRES: attn-run, numpy
# RUN: %python %s --pipeline=cpu
# RUN: %python %s --pipeline=cpu --threads=1
# The FMA kernel, whatever the host.
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{amx=false bf16-dot=false})"

import numpy as np

from attn_testing import Runner, sdpa_case

r = Runner()


def case(name, *args, **kwargs):
    sdpa_case(r, name, *args, dtype="bf16", **kwargs)


case("plain", 2, 4, 4, 64, 64, 32, 32)
case("odd_sizes", 1, 2, 2, 37, 101, 80, 48)
case("head_dims_not_tile_multiples", 1, 2, 2, 45, 70, 24, 20, causal=True)
case("several_key_blocks", 1, 2, 2, 130, 300, 64, 64)
case("causal_square", 2, 2, 2, 100, 100, 32, 32, causal=True)
case("causal_sq_lt_sk", 1, 2, 2, 40, 130, 32, 32, causal=True)
# Rows before Sq - Sk keep no key and give zeros.
case("causal_sq_gt_sk", 1, 2, 2, 70, 30, 32, 32, causal=True)
case("window", 1, 2, 2, 150, 150, 32, 32, window=(8, 4))
# Several key blocks and row blocks on the diagonal: register tiles clip
# their keys to their own rows' band.
case("causal_several_blocks", 1, 2, 1, 300, 300, 64, 48, causal=True)
case("window_several_blocks", 1, 2, 2, 400, 420, 64, 64, window=(100, 0))
case("window_causal", 1, 2, 2, 90, 200, 32, 32, causal=True, window=(40, 0))
case("gqa", 2, 8, 2, 20, 28, 32, 32)
# Blocks of 32 rows span two query heads of a kv head.
case("gqa_blocks_span_heads", 1, 8, 2, 21, 50, 32, 32, causal=True)
case("mqa", 1, 4, 1, 20, 70, 32, 32, window=(10, 10))
case("bool_mask_broadcast_keys", 2, 4, 2, 16, 24, 32, 32, mask="bool",
     mask_shape=(2, 1, 1, 24))
case("additive_mask_f32", 1, 4, 4, 33, 40, 32, 32, mask="float",
     mask_dtype="f32", mask_shape=(1, 4, 33, 40))
case("additive_mask_bf16_broadcast", 2, 2, 2, 16, 24, 32, 32, mask="float",
     mask_dtype="bf16", mask_shape=(2, 1, 16, 1))
case("fully_masked_row_bool", 1, 2, 2, 20, 70, 32, 32, mask="bool",
     mask_shape=(1, 2, 20, 70), rows_masked=(3, 19))
case("fully_masked_row_additive", 1, 2, 2, 18, 12, 32, 32, mask="float",
     mask_dtype="f32", mask_shape=(1, 1, 18, 12), rows_masked=(0, 5))
case("softcap", 1, 2, 2, 16, 40, 32, 32, softcap=5.0, logit_scale=4.0)
case("explicit_scale", 1, 2, 2, 16, 20, 32, 32, scale=0.3)
case("logits_x100", 1, 2, 2, 24, 24, 32, 32, scale=100.0 / np.sqrt(32))
case("head_dim_256", 1, 1, 1, 48, 80, 256, 256, causal=True)
case("decode", 1, 8, 2, 1, 1000, 64, 64)
case("dynamic_shapes", 2, 4, 2, 19, 45, 32, 48, dynamic=True, causal=True)
case("seq_major", 1, 4, 2, 70, 90, 64, 32, seq_major=True, causal=True)
case("seq_major_decode", 1, 8, 2, 1, 200, 64, 64, seq_major=True)

r.finish()
