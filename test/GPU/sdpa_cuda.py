# Executes attn.sdpa through --attn-gpu-pipeline on an NVIDIA GPU
# (attn-run --device=cuda) on fresh random inputs and compares with the
# float64 NumPy oracle.
# REQUIRES: cuda, attn-run, numpy
# RUN: %python %s --pipeline=gpu

from attn_testing import Runner, sdpa_case

r = Runner()


def case(name, *args, **kwargs):
    sdpa_case(r, name, *args, **kwargs)


for dtype in ("f16", "bf16"):
    case(f"{dtype}_plain", 2, 4, 4, 64, 64, 64, 64, dtype=dtype)
    case(f"{dtype}_odd_sizes", 1, 2, 2, 17, 45, 32, 32, dtype=dtype)
    case(f"{dtype}_several_tiles", 1, 2, 2, 200, 300, 64, 64, dtype=dtype)
    case(f"{dtype}_d128", 1, 2, 2, 130, 257, 128, 128, dtype=dtype)
    case(f"{dtype}_d128_dv64", 1, 2, 1, 70, 90, 128, 64, dtype=dtype,
         causal=True)
    case(f"{dtype}_d16", 2, 3, 1, 5, 7, 16, 16, dtype=dtype, window=(2, 1))
    case(f"{dtype}_causal_sq_lt_sk", 1, 2, 2, 16, 140, 32, 32, dtype=dtype,
         causal=True)
    case(f"{dtype}_causal_sq_gt_sk", 1, 2, 2, 140, 16, 32, 32, dtype=dtype,
         causal=True)
    case(f"{dtype}_causal_square", 2, 2, 2, 193, 193, 64, 64, dtype=dtype,
         causal=True)
    case(f"{dtype}_window", 1, 2, 2, 300, 300, 32, 32, dtype=dtype,
         window=(40, 8))
    case(f"{dtype}_window_causal", 1, 2, 2, 130, 250, 32, 32, dtype=dtype,
         causal=True, window=(64, 0))
    case(f"{dtype}_gqa", 2, 8, 2, 20, 100, 64, 64, dtype=dtype)
    case(f"{dtype}_mqa", 1, 4, 1, 20, 28, 32, 32, dtype=dtype, causal=True)
    case(f"{dtype}_bool_mask", 2, 4, 2, 33, 70, 32, 32, dtype=dtype,
         mask="bool", mask_shape=(2, 1, 33, 70))
    case(f"{dtype}_bool_mask_broadcast", 2, 4, 4, 16, 24, 16, 16,
         dtype=dtype, mask="bool", mask_shape=(2, 1, 1, 24))
    case(f"{dtype}_additive_mask", 1, 4, 4, 16, 80, 32, 32, dtype=dtype,
         mask="float", mask_dtype="f32", mask_shape=(1, 4, 16, 80))
    case(f"{dtype}_additive_mask_own_type", 2, 2, 2, 16, 24, 16, 16,
         dtype=dtype, mask="float", mask_dtype=dtype, mask_shape=(2, 1, 16, 1))
    case(f"{dtype}_fully_masked_rows_bool", 1, 2, 2, 8, 12, 16, 16,
         dtype=dtype, mask="bool", mask_shape=(1, 2, 8, 12), rows_masked=(3,))
    case(f"{dtype}_fully_masked_rows_additive", 1, 2, 2, 8, 12, 16, 16,
         dtype=dtype, mask="float", mask_dtype="f32",
         mask_shape=(1, 1, 8, 12), rows_masked=(0, 5))
    case(f"{dtype}_softcap", 1, 2, 2, 16, 16, 32, 32, dtype=dtype,
         softcap=5.0, logit_scale=4.0)
    case(f"{dtype}_scale", 1, 2, 2, 16, 20, 32, 32, dtype=dtype, scale=0.3)
    case(f"{dtype}_decode", 1, 8, 2, 1, 1000, 64, 64, dtype=dtype)
    case(f"{dtype}_dynamic", 2, 4, 2, 45, 77, 32, 32, dtype=dtype,
         dynamic=True, causal=True)

r.finish()
