/* A stand-in for libcuda.so.1 (loaded through KEOPS_CUDA_DRIVER) for the
 * tests of the GPU runtime on machines without a GPU: one "device" of
 * compute capability 9.0 whose memory is host memory, modules that are the
 * PTX text they were given (functions found by their `.entry` in it) or a
 * cubin (functions found by name in its string table; loads print
 * "load ptx|cubin BYTES"), and
 * launches that run nothing but print, on stderr, the kernel, the grid, the
 * block and its integer parameters (M, N and the scheme's count):
 *
 *   launch NAME grid X Y block B params P ints I0 I1 ... stream S
 *
 * P is the number of parameters of the entry in the PTX; the ints are the
 * i64 parameters (those declared `.param .u64 NAME_param_K` without .ptr). */
#define _GNU_SOURCE /* memmem */
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
  *s = r == 500 ? "CUDA_ERROR_NOT_FOUND" : r == 801 ? "CUDA_ERROR_NOT_SUPPORTED"
                                                    : "CUDA_ERROR_INVALID_VALUE";
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
/* STUB_NO_MEMORY_POOLS=1: a device without stream-ordered allocation. */
CUresult cuMemAllocAsync(CUdeviceptr *p, size_t bytes, void *stream) {
  if (getenv("STUB_NO_MEMORY_POOLS"))
    return 801; /* CUDA_ERROR_NOT_SUPPORTED */
  fprintf(stderr, "alloc stream %p\n", stream);
  return cuMemAlloc_v2(p, bytes);
}
CUresult cuMemFreeAsync(CUdeviceptr p, void *stream) {
  fprintf(stderr, "free stream %p\n", stream);
  return cuMemFree_v2(p);
}
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
/* A module: PTX text, or a cubin (an ELF file, from ptxas). */
struct module {
  int cubin;
  size_t size;
  char *data;
};

static uint64_t le(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int k = bytes - 1; k >= 0; --k)
    v = v << 8 | p[k];
  return v;
}

/* The size of an ELF64 image: the furthest end of its headers and sections. */
static size_t elfSize(const unsigned char *e) {
  uint64_t shoff = le(e + 0x28, 8), shentsize = le(e + 0x3a, 2), shnum = le(e + 0x3c, 2);
  uint64_t phoff = le(e + 0x20, 8), phentsize = le(e + 0x36, 2), phnum = le(e + 0x38, 2);
  uint64_t end = shoff + shnum * shentsize;
  if (phoff + phnum * phentsize > end)
    end = phoff + phnum * phentsize;
  for (uint64_t k = 0; k < shnum; ++k) {
    const unsigned char *sh = e + shoff + k * shentsize;
    if (le(sh + 4, 4) != 8 /* SHT_NOBITS */ && le(sh + 0x18, 8) + le(sh + 0x20, 8) > end)
      end = le(sh + 0x18, 8) + le(sh + 0x20, 8);
  }
  return end;
}

CUresult cuModuleLoadDataEx(void **m, const void *image, unsigned n, int *o, void **v) {
  struct module *mod = calloc(1, sizeof *mod);
  mod->cubin = memcmp(image, "\177ELF", 4) == 0;
  mod->size = mod->cubin ? elfSize(image) : strlen(image) + 1;
  mod->data = malloc(mod->size);
  memcpy(mod->data, image, mod->size);
  fprintf(stderr, "load %s %zu\n", mod->cubin ? "cubin" : "ptx", mod->size);
  *m = mod;
  return 0;
}
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
  struct module *mod = m;
  struct function *fn = calloc(1, sizeof *fn);
  snprintf(fn->name, sizeof fn->name, "%s", name);
  if (mod->cubin) {
    /* The kernel's name in the string table; its parameters are not known. */
    char symbol[300];
    size_t length = snprintf(symbol, sizeof symbol, "%c%s", 0, name) + 1;
    if (!memmem(mod->data, mod->size, symbol, length)) {
      free(fn);
      return 500;
    }
    fn->params = -1;
    *f = fn;
    return 0;
  }
  char entry[300];
  snprintf(entry, sizeof entry, ".entry %s(", name);
  const char *at = strstr(mod->data, entry);
  if (!at) {
    free(fn);
    return 500;
  }
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
CUresult cuModuleUnload(void *m) {
  free(((struct module *)m)->data);
  free(m);
  return 0;
}
CUresult cuFuncSetAttribute(void *f, int attr, int v) { return 0; }
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned shared, void *stream,
                        void **params, void **extra) {
  struct function *fn = f;
  if (fn->params < 0) {
    fprintf(stderr, "launch %s grid %u %u block %u params cubin stream %p\n", fn->name, gx,
            gy, bx, stream);
    return 0;
  }
  fprintf(stderr, "launch %s grid %u %u block %u params %d ints", fn->name, gx, gy, bx,
          fn->params);
  for (int k = 0; k < fn->params; ++k)
    if (fn->isInt[k])
      fprintf(stderr, " %lld", (long long)*(int64_t *)params[k]);
  fprintf(stderr, " stream %p\n", stream);
  return 0;
}
CUresult cuStreamSynchronize(void *s) {
  fprintf(stderr, "synchronize stream %p\n", s);
  return 0;
}
