# Decoding shapes (at most vector-width / 2 rows per kv head: G query heads x
# Sq queries) take the flash kernel's dot-product scores: K rows read in
# place, one transposing reduction per group of keys. Executed on fresh
# random inputs and compared with the float64 NumPy oracle.
# REQUIRES: attn-run, numpy
# RUN: %python %s --pipeline=cpu
# RUN: %python %s --pipeline=cpu --threads=1
# 8 lanes (the AVX2 shape: at most 4 rows) and 16 lanes (at most 8 rows).
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{vector-width=8})"
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{vector-width=16})"
# Key blocks that are not a multiple of the keys per group; key splits.
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{vector-width=16 key-block=10})"
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{key-splits=3 key-block=20})"

from attn_testing import Runner, sdpa_case

r = Runner()


def case(name, *args, **kwargs):
    sdpa_case(r, name, *args, **kwargs)


# Rows per kv head 1, 2, 4 and 8 (16 keys per group down to 2).
case("mha_one_row", 2, 4, 4, 1, 333, 64, 64)
case("gqa_two_rows", 1, 4, 2, 1, 200, 32, 32)
case("gqa_four_rows", 1, 8, 2, 1, 517, 128, 64)
case("gqa_eight_rows", 1, 8, 1, 1, 130, 64, 96)
# Fewer rows than the group holds: the missing rows are zero queries.
case("three_rows", 1, 3, 1, 1, 77, 32, 32)
case("six_rows", 2, 6, 3, 3, 50, 16, 16, causal=True)
# Head dims with a partial vector, or below one vector.
case("head_dim_tail", 1, 4, 2, 1, 90, 40, 24)
case("head_dim_below_vector", 1, 2, 1, 2, 33, 4, 4)
# Fewer keys than a group, and a single key.
case("fewer_keys_than_group", 1, 2, 2, 1, 3, 32, 32)
case("one_key", 1, 4, 2, 1, 1, 16, 16)
# Masks on the rows of the group.
case("causal_two_tokens", 1, 4, 2, 2, 300, 64, 64, causal=True)
case("window", 1, 8, 2, 1, 500, 64, 64, causal=True, window=(100, 0))
case("bool_mask", 1, 4, 1, 1, 150, 32, 32, mask="bool",
     mask_shape=(1, 4, 1, 150))
case("additive_mask_broadcast", 2, 4, 2, 1, 70, 32, 32, mask="float",
     mask_dtype="f32", mask_shape=(2, 1, 1, 70))
case("fully_masked_row", 1, 4, 1, 2, 40, 16, 16, mask="bool",
     mask_shape=(1, 1, 2, 40), rows_masked=(1,))
case("softcap_scale", 1, 4, 2, 1, 64, 32, 32, softcap=5.0, logit_scale=4.0,
     scale=0.7)
# f16/bf16 K and V, widened in registers.
case("f16", 1, 8, 2, 1, 300, 64, 64, dtype="f16")
case("bf16", 1, 8, 2, 1, 300, 128, 128, dtype="bf16")
case("bf16_tail_causal", 1, 4, 1, 2, 45, 24, 40, dtype="bf16", causal=True)
# Operands in the projections' [B, S, H, D] layout.
case("seq_major", 1, 8, 2, 1, 120, 64, 64, seq_major=True)

r.finish()
