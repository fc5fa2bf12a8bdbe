// Measures the machine's fp32 FMA peak (GFLOP/s) per thread and on all
// threads: 12 independent accumulator chains of the widest FMA the compiler
// targets (AVX-512 when -march=native has it, else AVX2), enough to cover the
// FMA latency on current x86 cores.
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define SET1(x) _mm512_set1_ps(x)
#define SUM(v) _mm512_reduce_add_ps(v)
#define ISA "avx512"
#else
typedef __m256 vec;
#define LANES 8
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define SET1(x) _mm256_set1_ps(x)
static float SUM(__m256 v) {
  float t[8];
  _mm256_storeu_ps(t, v);
  return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#define ISA "avx2"
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float kernel(long iters) {
  vec a0 = SET1(0.f), a1 = SET1(0.f), a2 = SET1(0.f), a3 = SET1(0.f),
      a4 = SET1(0.f), a5 = SET1(0.f), a6 = SET1(0.f), a7 = SET1(0.f),
      a8 = SET1(0.f), a9 = SET1(0.f), a10 = SET1(0.f), a11 = SET1(0.f);
  vec x = SET1(0.999999f), y = SET1(1e-7f);
  for (long i = 0; i < iters; ++i) {
    a0 = FMA(a0, x, y); a1 = FMA(a1, x, y); a2 = FMA(a2, x, y);
    a3 = FMA(a3, x, y); a4 = FMA(a4, x, y); a5 = FMA(a5, x, y);
    a6 = FMA(a6, x, y); a7 = FMA(a7, x, y); a8 = FMA(a8, x, y);
    a9 = FMA(a9, x, y); a10 = FMA(a10, x, y); a11 = FMA(a11, x, y);
    __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3));
  }
  vec s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
  return SUM(s);
}

static double measure(int threads) {
  long iters = 50 * 1000 * 1000;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    float sink = 0;
    double t0 = now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    sink += kernel(iters);
    double t = now() - t0;
    double gflops = 2.0 * 12 * LANES * iters * threads / t / 1e9;
    if (gflops > best)
      best = gflops;
    if (sink == 12345.f)
      printf(" ");
  }
  return best;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : omp_get_max_threads();
  printf("{\"isa\": \"%s\", \"threads\": %d, \"gflops_1\": %.2f, "
         "\"gflops_all\": %.2f}\n",
         ISA, threads, measure(1), measure(threads));
  return 0;
}
