/* What the C programs of the ahead-of-time tests share: a deterministic
   uniform generator and raw dumps of arrays for the NumPy oracle. */
#ifndef ATTN_AOT_TEST_HARNESS_H
#define ATTN_AOT_TEST_HARNESS_H

#include <stdint.h>
#include <stdio.h>

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

#endif
