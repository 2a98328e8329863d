/* A stand-in for libcuda.so.1 (loaded through KEOPS_CUDA_DRIVER) for the
 * tests of the GPU runtime on machines without a GPU: one "device" of
 * compute capability 9.0 whose memory is host memory, modules that are the
 * PTX text they were given, functions found by their `.entry` in it, and
 * launches that run nothing but print, on stderr, the kernel, the grid, the
 * block and its integer parameters (M, N and the scheme's count):
 *
 *   launch NAME grid X Y block B params P ints I0 I1 ...
 *
 * P is the number of parameters of the entry in the PTX; the ints are the
 * i64 parameters (those declared `.param .u64 NAME_param_K` without .ptr). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

struct function {
  char name[256];
  int params;
  int isInt[64];
};

static int ctx;

CUresult cuGetErrorName(CUresult r, const char **s) {
  *s = r == 500 ? "CUDA_ERROR_NOT_FOUND" : "CUDA_ERROR_INVALID_VALUE";
  return 0;
}
CUresult cuGetErrorString(CUresult r, const char **s) {
  *s = r == 500 ? "named symbol not found" : "invalid argument";
  return 0;
}
CUresult cuInit(unsigned flags) { return 0; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return 0; }
CUresult cuDeviceGet(int *d, int ordinal) { *d = ordinal; return ordinal == 0 ? 0 : 1; }
CUresult cuDeviceGetName(char *name, int len, int d) {
  snprintf(name, len, "keops stub device");
  return 0;
}
CUresult cuDeviceGetAttribute(int *v, int attr, int d) {
  switch (attr) {
  case 75: *v = 9; break;        /* compute capability major */
  case 76: *v = 0; break;        /* minor */
  case 16: *v = 4; break;        /* multiprocessors */
  case 1: *v = 1024; break;      /* threads per block */
  case 8: *v = 49152; break;     /* shared memory per block */
  case 97: *v = 232448; break;   /* opt-in shared memory */
  default: *v = 0;
  }
  return 0;
}
CUresult cuDeviceTotalMem_v2(size_t *bytes, int d) { *bytes = 1u << 30; return 0; }
CUresult cuDevicePrimaryCtxRetain(void **c, int d) { *c = &ctx; return 0; }
CUresult cuCtxGetCurrent(void **c) { *c = &ctx; return 0; }
CUresult cuCtxSetCurrent(void *c) { return 0; }
CUresult cuCtxSynchronize(void) { return 0; }
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes) {
  *p = (CUdeviceptr)(uintptr_t)malloc(bytes ? bytes : 1);
  return 0;
}
CUresult cuMemFree_v2(CUdeviceptr p) { free((void *)(uintptr_t)p); return 0; }
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void *s, size_t n) {
  memcpy((void *)(uintptr_t)d, s, n);
  return 0;
}
CUresult cuMemcpyDtoH_v2(void *d, CUdeviceptr s, size_t n) {
  memcpy(d, (void *)(uintptr_t)s, n);
  return 0;
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void *s, size_t n, void *st) {
  return cuMemcpyHtoD_v2(d, s, n);
}
CUresult cuMemcpyDtoHAsync_v2(void *d, CUdeviceptr s, size_t n, void *st) {
  return cuMemcpyDtoH_v2(d, s, n);
}
/* Every pointer is host memory. */
CUresult cuPointerGetAttribute(void *v, int attr, CUdeviceptr p) { return 1; }
CUresult cuModuleLoadDataEx(void **m, const void *image, unsigned n, int *o, void **v) {
  *m = strdup((const char *)image);
  return 0;
}
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
  char entry[300];
  snprintf(entry, sizeof entry, ".entry %s(", name);
  const char *at = strstr((const char *)m, entry);
  if (!at)
    return 500;
  struct function *fn = calloc(1, sizeof *fn);
  snprintf(fn->name, sizeof fn->name, "%s", name);
  const char *end = strchr(at, ')');
  for (const char *p = strstr(at, ".param"); p && p < end && fn->params < 64;
       p = strstr(p + 1, ".param")) {
    const char *eol = strchr(p, '\n');
    const char *ptr = strstr(p, ".ptr");
    fn->isInt[fn->params++] = !(ptr && ptr < eol);
  }
  *f = fn;
  return 0;
}
CUresult cuModuleUnload(void *m) { free(m); return 0; }
CUresult cuFuncSetAttribute(void *f, int attr, int v) { return 0; }
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned shared, void *stream,
                        void **params, void **extra) {
  struct function *fn = f;
  fprintf(stderr, "launch %s grid %u %u block %u params %d ints", fn->name, gx, gy, bx,
          fn->params);
  for (int k = 0; k < fn->params; ++k)
    if (fn->isInt[k])
      fprintf(stderr, " %lld", (long long)*(int64_t *)params[k]);
  fprintf(stderr, "\n");
  return 0;
}
CUresult cuStreamSynchronize(void *s) { return 0; }
