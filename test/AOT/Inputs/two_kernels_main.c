/* One program that includes the headers of two ahead-of-time compiled
   kernels (both declare the rank-4 memref descriptor), calls both on
   pseudo-random inputs, and writes everything for the NumPy oracle. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "causal.h"
#include "gqa.h"
#include "harness.h"

static float *fill(int n) {
  float *p = malloc(n * sizeof(float));
  for (int i = 0; i < n; ++i)
    p[i] = uniform();
  return p;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  enum { C = 2 * 40 * 16, GQ = 4 * 7 * 24, GK = 33 * 24, GV = 33 * 20,
         GO = 4 * 7 * 20 };
  float *cq = fill(C), *ck = fill(C), *cv = fill(C), *co = fill(C);
  float *gq = fill(GQ), *gk = fill(GK), *gv = fill(GV), *go = fill(GO);
  if (two_causal(cq, ck, cv, co) != 0 || two_gqa(gq, gk, gv, go) != 0)
    return 1;
  return dump(argv[1], "cq.bin", cq, C * 4) ||
         dump(argv[1], "ck.bin", ck, C * 4) ||
         dump(argv[1], "cv.bin", cv, C * 4) ||
         dump(argv[1], "co.bin", co, C * 4) ||
         dump(argv[1], "gq.bin", gq, GQ * 4) ||
         dump(argv[1], "gk.bin", gk, GK * 4) ||
         dump(argv[1], "gv.bin", gv, GV * 4) ||
         dump(argv[1], "go.bin", go, GO * 4);
}
