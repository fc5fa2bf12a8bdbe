/* Calls the ahead-of-time compiled examples/gqa_causal.mlir on pseudo-random
   inputs and writes inputs and output as raw files for the NumPy oracle. It
   calls it twice, with new keys and values the second time: the kernel keeps
   its packed K/V panels between calls and must pack them again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "kernel.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  enum { Q = 1 * 8 * 256 * 64, KV = 1 * 2 * 256 * 64, M = 256 };
  float *q = malloc(Q * sizeof(float)), *k = malloc(KV * sizeof(float));
  float *v = malloc(KV * sizeof(float)), *o = malloc(Q * sizeof(float));
  uint8_t keep[M];
  for (int i = 0; i < Q; ++i)
    q[i] = uniform();
  for (int i = 0; i < M; ++i)
    keep[i] = uniform() > -0.8f;
  for (int call = 0; call < 2; ++call) {
    for (int i = 0; i < KV; ++i) {
      k[i] = uniform();
      v[i] = uniform();
    }
    if (gqa_causal(q, k, v, keep, o) != 0)
      return 1;
  }
  return dump(argv[1], "q.bin", q, Q * 4) || dump(argv[1], "k.bin", k, KV * 4) ||
         dump(argv[1], "v.bin", v, KV * 4) || dump(argv[1], "m.bin", keep, M) ||
         dump(argv[1], "o.bin", o, Q * 4);
}
