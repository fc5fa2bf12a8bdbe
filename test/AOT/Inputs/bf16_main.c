/* Calls the ahead-of-time compiled Inputs/bf16.mlir on pseudo-random bf16
   inputs and writes inputs and output as raw bf16 files for the oracle. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kernel.h"

/* uniform() in [-2, 2), truncated to bf16. */
static uint16_t uniformBf16(void) {
  float f = 2.0f * uniform();
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  return (uint16_t)(bits >> 16);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  enum { N = 1 * 2 * 64 * 32 };
  uint16_t q[N], k[N], v[N], o[N];
  for (int i = 0; i < N; ++i) {
    q[i] = uniformBf16();
    k[i] = uniformBf16();
    v[i] = uniformBf16();
  }
  if (bf16(q, k, v, o) != 0)
    return 1;
  return dump(argv[1], "q.bin", q, sizeof q) ||
         dump(argv[1], "k.bin", k, sizeof k) ||
         dump(argv[1], "v.bin", v, sizeof v) ||
         dump(argv[1], "o.bin", o, sizeof o);
}
