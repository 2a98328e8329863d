/*===- keops.h - the C API of keops-mlir -------------------------*- C -*-===*
 *
 * Compile a module holding keops reductions, query its kernels, run them on
 * raw host arrays. Every function returns a status; on KEOPS_ERROR,
 * keops_last_error() describes the problem (per thread).
 *
 * Arrays are row-major and contiguous: an i variable of dimension D is an
 * M x D array, a j variable N x D, a parameter D values; outputs have one row
 * per kept index (M for a reduction over j, N over i). Values have the
 * module's float type; index outputs int32 or int64; an index variable (an
 * input of type i32 or i64) holds int32 or int64 values.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KEOPS_C_KEOPS_H
#define KEOPS_C_KEOPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { KEOPS_OK = 0, KEOPS_ERROR = 1 } keops_status;

typedef struct keops_module_s *keops_module;

/* Compilation options; keops_default_options() fills the defaults. */
typedef struct {
  int64_t lanes;         /* output rows per vector, 0: native width */
  int64_t blocks;        /* groups of lanes per iteration (default 2) */
  const char *accumulation; /* "plain", "block" (default), "kahan", "f64" */
  int approximate_math;  /* polynomial f32 exp/log/sin/... (default 1) */
  int opt_level;         /* LLVM optimization level, 0-3 (default 3) */
  int64_t gram_min_dim;  /* CPU: inner products of kept and reduced vectors
                            of at least this many components by matrix-
                            multiply tiles (default 32; 0: never) */
  int partial_states;    /* also compile the kernels of keops_run_partial,
                            keops_merge_states and keops_finalize_states
                            (default 0) */
  const char *tensor_cores; /* GPU: inner products of long vectors on the
                            tensor cores, "none" (default: exact f32) or
                            "tf32" (10-bit mantissas; docs/gpu.md) */
} keops_options;

void keops_default_options(keops_options *options);

/* Compiles MLIR text (a module with functions holding keops.reduce ops) for
 * the host CPU, through the memory and disk caches. */
keops_status keops_compile(const char *mlir, size_t length,
                           const keops_options *options, keops_module *out);
/* Compiles for CUDA device `device` (0, 1, ...): PTX for its architecture,
 * loaded through the CUDA driver. keops_run and keops_run_function then
 * take host arrays (copied in and out) or device arrays (used in place).
 * Fails with a clear message without a driver or a GPU. The driver is
 * libcuda.so.1, or $KEOPS_CUDA_DRIVER: another library, or `emulator`, an
 * in-process GPU emulator that runs the same kernels on the host (tests;
 * docs/gpu.md). */
keops_status keops_compile_gpu(const char *mlir, size_t length,
                               const keops_options *options, int device,
                               keops_module *out);
/* The number of CUDA devices; KEOPS_ERROR (and *count = 0) without a CUDA
 * driver or a GPU, keops_last_error() saying which. */
keops_status keops_gpu_device_count(int *count);
/* The CUDA device a module runs on, -1 for the host CPU. */
int keops_module_device(keops_module module);
void keops_module_release(keops_module module);

/* One kernel per keops.reduce, named FUNCTION_kernelK. */
int64_t keops_num_kernels(keops_module module);
const char *keops_kernel_name(keops_module module, int64_t kernel);
/* Sizes of a kernel's operands: counts and, per operand, dimension D (inputs)
 * or width (outputs); category per input: 0 = i, 1 = j, 2 = parameter;
 * reduction axis: 0 = over i, 1 = over j. Arrays may be NULL. */
keops_status keops_kernel_signature(keops_module module, int64_t kernel,
                                    int64_t *num_inputs, int64_t *num_outputs,
                                    int *axis, int *categories,
                                    int64_t *input_dims,
                                    int64_t *output_widths,
                                    int *output_is_index);

/* Element types: float bits (16, 32, 64) of values, int bits (32, 64) of
 * index outputs. */
keops_status keops_kernel_types(keops_module module, int64_t kernel,
                                int *float_bits, int *index_bits);

/* Element type of each input: element_bits[k] its width in bits (16, 32 or
 * 64) and is_integer[k] 1 for an index variable (int32 or int64 values), 0
 * for a float one (the kernel's float type). Arrays of num_inputs entries;
 * either may be NULL. */
keops_status keops_kernel_input_types(keops_module module, int64_t kernel,
                                      int *element_bits, int *is_integer);

/* Runs a kernel on host arrays: inputs[k] and outputs[k] point to the data
 * of operand k; M and N are the numbers of rows of the i and j variables. */
keops_status keops_run(keops_module module, int64_t kernel,
                       const void *const *inputs, void *const *outputs,
                       int64_t M, int64_t N);
/* keops_run ordered on `stream`, a CUstream (or cudaStream_t) of a GPU
 * module's device: its copies, launches and temporary buffers go on that
 * stream, after the work already queued there. When every array is in the
 * device's memory the call returns once the work is queued (errors of the
 * kernels then show at the next synchronization, as for any CUDA work);
 * otherwise once the results are in host memory. A NULL stream is
 * keops_run: the default stream, done on return. CPU modules ignore it. */
keops_status keops_run_on_stream(keops_module module, int64_t kernel,
                                 const void *const *inputs,
                                 void *const *outputs, int64_t M, int64_t N,
                                 void *stream);

/* Batch axes of a kernel (keops.reduce with leading batch axes): *rank
 * axes; broadcast, if not NULL, gets num_inputs * rank flags (row-major:
 * input k, axis a at k * rank + a), 1 where input k is broadcast along axis
 * a (a static 1 in its type: one array shared along that axis). */
keops_status keops_kernel_batch(keops_module module, int64_t kernel,
                                int64_t *rank, int *broadcast);

/* keops_run_on_stream for a kernel with batch axes: batch[0 .. rank) are
 * the batch extents; each operand holds its batch elements one after the
 * other, row-major over the axes it is not broadcast along (outputs: one
 * per batch element), each element an M x D (N x D, or D) array as for
 * keops_run. rank must be the kernel's; 0 (batch may be NULL) is keops_run
 * on a kernel without batch axes. */
keops_status keops_run_batched(keops_module module, int64_t kernel,
                               const void *const *inputs,
                               void *const *outputs, int64_t M, int64_t N,
                               int64_t rank, const int64_t *batch,
                               void *stream);

/* Block-sparse reductions (keops.reduce with ranges): pykeops' six arrays
 * ranges_i, slices_i, redranges_j, ranges_j, slices_j, redranges_i in host
 * memory, integers of `bits` (32 or 64) bits, lengths[k] rows each (blocks
 * or intervals; the 2-D arrays hold [begin, end) pairs). A reduction over j
 * reads the first three, one over i the last three. `elements` is 0 for
 * ranges shared by every batch element; for a kernel that takes ranges per
 * batch element it is the number of elements, whose arrays lie end to end
 * (lengths[k] rows each; pad with empty blocks and unused intervals). */
typedef struct keops_ranges {
  const void *arrays[6];
  int64_t lengths[6];
  int bits;
  int64_t elements;
} keops_ranges;
/* 1 if kernel `kernel` is block-sparse with ranges shared by its batch
 * elements, 2 if it takes one ranges tuple per batch element, 0 if it is not
 * block-sparse (needs keops_run_ranged when it is), -1 for a bad module or
 * kernel. */
int keops_kernel_is_block_sparse(keops_module module, int64_t kernel);
/* keops_run_batched for a block-sparse kernel (rank 0 without batch axes):
 * the ranges are checked (bounds, cumulative counts, no overlapping blocks
 * nor intervals of one block; the message names the first bad value and
 * batch element). Rows in no block get the empty reduction. */
keops_status keops_run_ranged(keops_module module, int64_t kernel,
                              const void *const *inputs, void *const *outputs,
                              int64_t M, int64_t N, int64_t rank,
                              const int64_t *batch,
                              const keops_ranges *ranges, void *stream);

/* Partial reductions (modules compiled with options.partial_states = 1; on a
 * GPU module, arrays in host or device memory as for keops_run). A state
 * holds, per kept row, the unfinalized reduction over some
 * reduced indices, in `count` row-major arrays (rows x widths[k], values of
 * the kernel's float type or, where is_index[k], integers of index_bits):
 *   sum: the sum (D);
 *   min, max, argmin, argmax, min_argmin, max_argmax: the selected values
 *     and their indices (D and D; +-inf and -1 where nothing was reduced);
 *   kmin, argkmin, kmin_argkmin: the K best values and indices, sorted as
 *     the kmin_argkmin outputs (K*D and K*D);
 *   logsumexp: the running maximum m (1) and sum(exp(f - m) w) (E, or 1);
 *   sumsoftmaxweight: m (1), sum(exp(f - m)) (1), sum(exp(f - m) v) (E).
 * Rows of batch elements lie end to end (batch elements x kept rows). */
keops_status keops_kernel_state(keops_module module, int64_t kernel,
                                int64_t *count, int64_t *widths,
                                int *is_index, int *index_bits);
/* The state of kernel `kernel` over the N (over j; M over i) reduced rows
 * given, the first of which has reduced index `first` in the whole axis
 * (so that argmin and K-min indices are the whole axis'): arguments as for
 * keops_run_ranged (ranges may be NULL for a kernel that is not
 * block-sparse; their reduced intervals then index the rows given). */
keops_status keops_run_partial(keops_module module, int64_t kernel,
                               const void *const *inputs, void *const *states,
                               int64_t M, int64_t N, int64_t first,
                               int64_t rank, const int64_t *batch,
                               const keops_ranges *ranges);
/* Row by row, the state over the reduced indices of both `first` and
 * `second` (disjoint sets, in any order: ties go to the smaller index) into
 * `merged`, which may be either: exact for min, max and K-min kinds, one
 * rounding per value for the others. */
keops_status keops_merge_states(keops_module module, int64_t kernel,
                                const void *const *first,
                                const void *const *second,
                                void *const *merged, int64_t rows);
/* The kernel's outputs (as keops_run writes them) from `rows` states. */
keops_status keops_finalize_states(keops_module module, int64_t kernel,
                                   const void *const *states,
                                   void *const *outputs, int64_t rows);

/* Whole functions: each function of the module with its reductions run in
 * order (a function holding keops.reduce_grad runs its gradient
 * reductions), temporaries allocated and freed by the call, its results
 * copied out. Functions are numbered in module order. */
int64_t keops_num_functions(keops_module module);
const char *keops_function_name(keops_module module, int64_t function);
/* Numbers of arguments and results. */
keops_status keops_function_signature(keops_module module, int64_t function,
                                      int64_t *num_args, int64_t *num_results);
/* Shape and element type of a result when argument k has arg_rows[k] rows
 * (ignored for 1-D arguments): rows x cols (rows = 1 and one_dim = 1 for a
 * 1-D result); bits and is_integer as for kernel inputs. Pointers may be
 * NULL. */
keops_status keops_function_result(keops_module module, int64_t function,
                                   int64_t result, const int64_t *arg_rows,
                                   int64_t *rows, int64_t *cols, int *bits,
                                   int *is_integer, int *one_dim);
/* Batch axes of a function (those of its reductions); -1 on error. */
int64_t keops_function_batch_rank(keops_module module, int64_t function);
/* keops_function_result for batch extents batch[0 .. rank) (rank must be
 * the function's): extents, if not NULL, gets the result's rank batch
 * extents (1 where it is broadcast). The result holds its batch elements one
 * after the other, each rows x cols. */
keops_status keops_function_result_batched(
    keops_module module, int64_t function, int64_t result,
    const int64_t *arg_rows, int64_t rank, const int64_t *batch,
    int64_t *extents, int64_t *rows, int64_t *cols, int *bits,
    int *is_integer, int *one_dim);
/* Runs a function: args[k] points to argument k (row-major; an argument that
 * is only an output shape may be NULL), results[k] to result k. */
keops_status keops_run_function(keops_module module, int64_t function,
                                const void *const *args,
                                const int64_t *arg_rows,
                                void *const *results);
/* keops_run_function after the work queued on `stream` (see
 * keops_run_on_stream); done when it returns. */
keops_status keops_run_function_on_stream(keops_module module,
                                          int64_t function,
                                          const void *const *args,
                                          const int64_t *arg_rows,
                                          void *const *results, void *stream);
/* keops_run_function_on_stream for a function with batch axes:
 * batch[0 .. rank) are the batch extents, each array holds its batch
 * elements one after the other, row-major over the axes it is not broadcast
 * along (as for keops_run_batched). rank 0 (batch may be NULL) is
 * keops_run_function_on_stream. */
keops_status keops_run_function_batched(keops_module module, int64_t function,
                                        const void *const *args,
                                        const int64_t *arg_rows, int64_t rank,
                                        const int64_t *batch,
                                        void *const *results, void *stream);

/* Threads used by keops_run (default: KEOPS_NUM_THREADS, else all cores);
 * 0 restores the default. */
void keops_set_num_threads(int threads);
int keops_get_num_threads(void);

/* The blocks of its reduced axis (`cols` indices) over which a CPU run of
 * `rows` kept rows spreads when its module was compiled with partial
 * states (1: the rows alone keep the threads busy, or too little work):
 * the block states are merged, so calls with few rows use every thread.
 * It depends on the calling thread's thread group (its share of threads). */
int64_t keops_reduced_axis_parts(int64_t rows, int64_t cols);

/* Thread groups: one per NUMA node of the host (KEOPS_THREAD_GROUPS=G: G
 * groups of consecutive CPUs). A call spreads its rows over all groups,
 * each group's threads pinned to its CPUs when there are several. */
int keops_thread_group_count(void);
/* The CPUs of thread group `group`: their number, the first `capacity` of
 * them written to `cpus`; -1 (and the last error) for no such group. */
int keops_thread_group_cpus(int group, int *cpus, int capacity);
/* Calls from this host thread run on thread group `group` alone (its share
 * of the threads, on its CPUs), or on all groups with -1 (the default):
 * several host threads, one per group, split work as over devices. */
keops_status keops_set_thread_group(int group);
int keops_get_thread_group(void);

/* The message of the last error on this thread ("" if none). */
const char *keops_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* KEOPS_C_KEOPS_H */
