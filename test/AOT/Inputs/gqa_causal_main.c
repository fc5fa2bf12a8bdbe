/* Calls the ahead-of-time compiled examples/gqa_causal.mlir on pseudo-random
   inputs and writes inputs and output as raw files for the NumPy oracle. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel.h"

static uint64_t state = 0x9E3779B97F4A7C15ull;

static float uniform(void) { /* in [-1, 1) */
  state = state * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((double)(state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static int dump(const char *dir, const char *name, const void *p, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n) {
    perror(path);
    return 1;
  }
  return fclose(f) != 0;
}

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
  for (int i = 0; i < KV; ++i) {
    k[i] = uniform();
    v[i] = uniform();
  }
  for (int i = 0; i < M; ++i)
    keep[i] = uniform() > -0.8f;
  if (gqa_causal(q, k, v, keep, o) != 0)
    return 1;
  return dump(argv[1], "q.bin", q, Q * 4) || dump(argv[1], "k.bin", k, KV * 4) ||
         dump(argv[1], "v.bin", v, KV * 4) || dump(argv[1], "m.bin", keep, M) ||
         dump(argv[1], "o.bin", o, Q * 4);
}
