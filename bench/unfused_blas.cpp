//===- unfused_blas.cpp - unfused attention on OpenBLAS ---------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The baseline a C++ user would write without a fused kernel: per (batch,
// head), S = Q K^T with sgemm, scale + causal mask + row softmax (OpenMP over
// rows), O = P V with sgemm. Materializes the [S, S] scores.
//
//   unfused_blas B H S D causal(0|1) runs  ->  one JSON line
//
//===----------------------------------------------------------------------===//

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <vector>

int main(int argc, char **argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: unfused_blas B H S D causal runs\n");
    return 1;
  }
  long b = std::atol(argv[1]), h = std::atol(argv[2]), s = std::atol(argv[3]),
       d = std::atol(argv[4]);
  bool causal = std::atoi(argv[5]) != 0;
  int runs = std::atoi(argv[6]);
  size_t n = static_cast<size_t>(b * h * s * d);
  std::vector<float> q(n), k(n), v(n), o(n), scores(static_cast<size_t>(s * s));
  std::mt19937 rng(0);
  std::normal_distribution<float> normal;
  for (size_t i = 0; i < n; ++i) {
    q[i] = normal(rng);
    k[i] = normal(rng);
    v[i] = normal(rng);
  }
  float scale = 1.0f / std::sqrt(static_cast<float>(d));

  auto run = [&] {
    for (long bh = 0; bh < b * h; ++bh) {
      const float *qp = &q[bh * s * d], *kp = &k[bh * s * d],
                  *vp = &v[bh * s * d];
      float *op = &o[bh * s * d];
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s, s, d, scale, qp,
                  d, kp, d, 0.0f, scores.data(), s);
#pragma omp parallel for schedule(static)
      for (long i = 0; i < s; ++i) {
        float *row = &scores[i * s];
        long end = causal ? i + 1 : s;
        float m = -std::numeric_limits<float>::infinity();
        for (long j = 0; j < end; ++j)
          m = std::max(m, row[j]);
        float sum = 0;
        for (long j = 0; j < end; ++j) {
          row[j] = std::exp(row[j] - m);
          sum += row[j];
        }
        float inv = 1.0f / sum;
        for (long j = 0; j < end; ++j)
          row[j] *= inv;
        for (long j = end; j < s; ++j)
          row[j] = 0.0f;
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, d, s, 1.0f,
                  scores.data(), s, vp, d, 0.0f, op, d);
    }
  };

  run();
  std::vector<double> times;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    run();
    auto t1 = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(times.begin(), times.end());
  double median = times[times.size() / 2];

  // OpenBLAS's own sgemm rate on a square problem, for reference.
  const long m = 1024;
  std::vector<float> a(m * m, 1.0f), bm(m * m, 0.5f), c(m * m);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0f,
              a.data(), m, bm.data(), m, 0.0f, c.data(), m);
  double best = 1e30;
  for (int r = 0; r < 5; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0f,
                a.data(), m, bm.data(), m, 0.0f, c.data(), m);
    auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  double sgemmGflops = 2.0 * m * m * m / best / 1e9;
  // Attention FLOPs (SPEC): 2*B*H*S*S*(D+Dv) times the kept fraction.
  double pairs = causal ? s * (s + 1) / 2.0 : static_cast<double>(s) * s;
  double flops = 2.0 * b * h * pairs * (2 * d);
  std::printf("{\"median_ms\": %.4f, \"gflops\": %.3f, \"sgemm_gflops\": "
              "%.3f}\n",
              median, flops / (median * 1e-3) / 1e9, sgemmGflops);
  return 0;
}
