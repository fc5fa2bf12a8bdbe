/* A stand-in for libcuda.so.1 that runs nothing on a GPU: it checks and
 * logs what the attn-mlir runtime asks of the driver (module load, launch
 * configuration, kernel parameters, copies) and, in place of the kernel,
 * fills the output buffer (the last memref descriptor of the parameters)
 * with f16/bf16 ones, so that the copies back can be checked too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long long CUdeviceptr;
static int logged(void) { return getenv("MOCK_CUDA_QUIET") == NULL; }
#define LOG(...)                                                               \
  do {                                                                         \
    if (logged())                                                              \
      fprintf(stderr, "mock-cuda: " __VA_ARGS__);                              \
  } while (0)

int cuGetErrorString(int r, const char **s) {
  *s = r == 700 ? "an illegal memory access" : "mock error";
  return 0;
}
int cuInit(unsigned f) { return getenv("MOCK_CUDA_FAIL_INIT") ? 100 : 0; }
int cuDeviceGetCount(int *n) { *n = 1; return 0; }
int cuDeviceGet(int *d, int i) { *d = i; return 0; }
/* Compute capability MOCK_CUDA_CC (major * 10 + minor), 80 by default. */
int cuDeviceGetAttribute(int *v, int attr, int d) {
  int cc = getenv("MOCK_CUDA_CC") ? atoi(getenv("MOCK_CUDA_CC")) : 80;
  *v = attr == 75 ? cc / 10 : attr == 76 ? cc % 10 : 0;
  return 0;
}
int cuDeviceGetName(char *name, int len, int d) {
  snprintf(name, len, "mock device");
  return 0;
}
int cuDevicePrimaryCtxRetain(void **c, int d) {
  static int ctx;
  *c = &ctx;
  return 0;
}
int cuCtxSetCurrent(void *c) { return 0; }
int cuModuleLoadDataEx(void **m, const void *data, unsigned n, int *opts,
                       void **vals) {
  const char *ptx = data;
  const char *target = strstr(ptx, ".target ");
  if (!target)
    target = "no target";
  LOG("module: %zu bytes of PTX, %.*s, %s\n", strlen(ptx),
      (int)strcspn(target, "\n"), target,
      strstr(ptx, "mma.sync.aligned") ? "mma.sync" : "no mma.sync");
  *m = (void *)ptx;
  return 0;
}
int cuModuleUnload(void *m) { return 0; }
int cuModuleGetFunction(void **f, void *m, const char *name) {
  LOG("function %s\n", name);
  *f = (void *)name;
  return 0;
}
int cuFuncSetAttribute(void *f, int attr, int value) {
  LOG("attribute %d = %d\n", attr, value);
  return 0;
}
int cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz,
                   unsigned bx, unsigned by, unsigned bz, unsigned smem,
                   void *stream, void **params, void **extra) {
  LOG("launch grid (%u, %u, %u) block (%u, %u, %u) shared %u\n", gx, gy, gz,
      bx, by, bz, smem);
  /* Memref descriptors of rank 4 passed flat: 2 pointers, offset, 4 sizes,
   * 4 strides. The first is q, the last the output. */
  int64_t *q[11];
  for (int i = 0; i < 11; ++i)
    q[i] = params[i];
  LOG("q sizes %ldx%ldx%ldx%ld strides %ld,%ld,%ld,%ld\n", *q[3], *q[4], *q[5],
      *q[6], *q[7], *q[8], *q[9], *q[10]);
  int n = atoi(getenv("MOCK_CUDA_PARAMS") ? getenv("MOCK_CUDA_PARAMS") : "0");
  if (n >= 11) {
    void *aligned = *(void **)params[n - 10];
    int64_t off = *(int64_t *)params[n - 9];
    int64_t count = 1;
    for (int i = 0; i < 4; ++i)
      count *= *(int64_t *)params[n - 8 + i];
    uint16_t one = getenv("MOCK_CUDA_BF16") ? 0x3F80 : 0x3C00;
    for (int64_t i = 0; i < count; ++i)
      ((uint16_t *)aligned)[off + i] = one;
  }
  return getenv("MOCK_CUDA_FAIL_LAUNCH") ? 700 : 0;
}
int cuStreamCreate(void **s, unsigned f) {
  static int stream;
  *s = &stream;
  return 0;
}
int cuStreamSynchronize(void *s) { return 0; }
int cuStreamDestroy_v2(void *s) { return 0; }
int cuMemAlloc_v2(CUdeviceptr *p, size_t n) {
  *p = (CUdeviceptr)calloc(1, n);
  LOG("alloc %zu\n", n);
  return 0;
}
int cuMemFree_v2(CUdeviceptr p) {
  free((void *)p);
  return 0;
}
int cuMemcpyAsync(CUdeviceptr d, CUdeviceptr s, size_t n, void *st) {
  memcpy((void *)d, (void *)s, n);
  LOG("copy %zu\n", n);
  return 0;
}
int cuEventCreate(void **e, unsigned f) {
  *e = malloc(1);
  return 0;
}
int cuEventRecord(void *e, void *s) { return 0; }
int cuEventSynchronize(void *e) { return 0; }
int cuEventElapsedTime(float *ms, void *a, void *b) {
  *ms = 0.5f;
  return 0;
}
int cuEventDestroy_v2(void *e) {
  free(e);
  return 0;
}
