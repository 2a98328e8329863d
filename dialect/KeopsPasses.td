//===- KeopsPasses.td - passes of keops-mlir ---------------*- tablegen -*-===//

#ifndef KEOPS_PASSES_TD
#define KEOPS_PASSES_TD

include "mlir/Pass/PassBase.td"

def KeopsExpandFormulas : Pass<"keops-expand-formulas"> {
  let summary = "Expands keops formula ops into arith, math and vector ops";
  let description = [{
    Rewrites every keops formula op (all but keops.grad, keops.select_index,
    keops.reduce and keops.yield) inside keops.reduce regions into upstream
    arith, math and vector ops with exactly the op's semantics, NaN, infinities and signed
    zeros included. Target independent: the CPU and GPU lowerings both start
    from expanded formulas. The interpreter evaluates formulas before and
    after expansion to the same values. With `keep-gram`, keops.gram stays
    for a backend that computes it by tiles (the CPU's).
  }];
  let options = [
    Option<"keepGram", "keep-gram", "bool", /*default=*/"false",
           "leave keops.gram to the backend instead of expanding it as keops.dot">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def KeopsExpandGrad : Pass<"keops-expand-grad"> {
  let summary = "Expands keops.grad and keops.diff into formula ops (reverse and forward mode)";
  let description = [{
    Replaces every `keops.grad %f wrt %v, %e` inside keops.reduce regions by
    the vector-Jacobian product of the computation of `%f` from `%v`: the ops
    between `%v` and `%f` are walked backwards from `%f`, each op's
    KeopsDifferentiable `vjp` turns the adjoint of its result into adjoints
    of its operands, and adjoints of a value used several times are summed
    with arith.addf. Every `keops.diff %f wrt %v, %t` becomes the
    Jacobian-vector product: the same ops walked forwards from `%v`, each
    op's `jvp` turning the tangents of its operands into that of its result.
    Ops that do not depend on `%v` are skipped; a `%f` that does not depend
    on `%v` gives zeros. Grads and diffs are expanded in program order, so
    one whose formula holds another (a second derivative, in either mode)
    sees it expanded first. An op on the path without a derivative rule is an
    error naming the op. Dead ops left in the formula are erased.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def KeopsDifferentiate : Pass<"keops-differentiate"> {
  let summary = "Expands keops.reduce_grad into gradient reductions";
  let description = [{
    Replaces every `keops.reduce_grad` by reductions whose formulas hold
    `keops.grad` ops (expanded by keops-expand-grad): inputs indexed like the
    forward output rows get one reduction over the same axis, inputs indexed
    by the reduced axis one reduction over the other axis, each packing the
    gradients of all such inputs side by side (one kernel per axis; the
    results are column slices). Parameters get per-row partial sums packed
    into the first reduction, then a reduction of the rows. The cotangent of
    each pair depends on the reduction kind: the output's cotangent for sum;
    times exp(F - out) for logsumexp, reading the forward result; softmax
    weights for sumsoftmaxweight, through a logsumexp reduction of the
    formula; restricted to the selected terms for min, max and K-min, through
    the forward's index outputs (a min, max or kmin reduction is replaced by
    its variant with indices). Argmin, argmax and argkmin give zeros.
    Reductions are processed in program order, so the gradient of a gradient
    works.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def KeopsFactorize : Pass<"keops-factorize"> {
  let summary = "Groups formula ops by how often they must be evaluated";
  let description = [{
    Orders the ops of every keops.reduce formula in three groups: those that
    depend only on parameters and constants (one value per reduction), those
    that also depend on the variables indexed like the output rows (one
    value per row), and the others (one value per pair); the order within a
    group is kept. Backends evaluate the first two groups outside their loop
    over the reduced index (the CPU lowering does). Target independent, for
    forward and gradient formulas alike.
  }];
}

def KeopsRecognizeGram : Pass<"keops-recognize-gram"> {
  let summary = "Turns inner products of long kept and reduced vectors into Gram entries";
  let description = [{
    In every keops.reduce formula, the inner products over a feature axis of
    at least `min-dim` components between a value of the kept side (x_i in
    a reduction over j) and one of the reduced side (y_j) become keops.gram
    entries, which a backend computes as matrix-product tiles:

    - dot(a, b) and sum(a * b) -> gram(a, b);
    - sqdist(a, b), sqnorm2(a - b) and sum((a - b) * (a - b)) ->
      relu(|a|^2 + |b|^2 - 2 gram(a, b));
    - weightedsqdist(w, a, b) and weightedsqnorm(w, a - b), for a weight w of
      dimension 1 or D that depends on parameters only ->
      relu(<w, a^2> + <w, b^2> - 2 gram(w a, b)).

    The squared norms depend on one side only: backends evaluate them once
    per row and once per column. The expanded squared distance loses
    accuracy when a and b are close relative to their norms (absolute error
    of order D eps (|a|^2 + |b|^2), against D eps |a - b|^2 for the precise
    form; docs/architecture.md, "Long vectors"); relu keeps it non-negative
    and NaN where the precise form is NaN. Target independent.
  }];
  let options = [
    Option<"minDim", "min-dim", "int64_t", /*default=*/"32",
           "the shortest feature axis whose inner products become Gram entries">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def KeopsTestJvp : Pass<"keops-test-jvp"> {
  let summary = "Test only: replaces each formula's value by its forward-mode tangent";
  let description = [{
    Checks the `jvp` rules of KeopsDifferentiable. In every keops.reduce,
    block argument `variable` is the variable and the last block argument
    its tangent (same type); each yielded value F is replaced by
    `keops.diff F wrt v, t`, expanded as keops-expand-grad expands it: the
    Jacobian-vector product dF/dv . t, propagated forward with `jvp` (zeros
    when F does not depend on the variable).
  }];
  let options = [
    Option<"variable", "variable", "unsigned", /*default=*/"0",
           "position of the variable among the block arguments">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def KeopsOutlineKernels : Pass<"keops-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Builds one kernel with the runtime's calling convention per reduction";
  let description = [{
    For every keops.reduce (tensor or memref form) in a function of the
    module, creates a function with the calling convention of the runtime

      void NAME(void *const *inputs, void *const *outputs,
                int64_t M, int64_t N, int64_t begin, int64_t end)

    (inputs and outputs: arrays of pointers to row-major data, in operand
    order; M and N: rows of the i and j variables; [begin, end): the range of
    output rows to compute). Its body builds memrefs on the pointers, takes
    the rows [begin, end) of the kept variables and of the outputs, and holds
    a memref-form copy of the reduction. The kernel of reduction number K of
    function F is named F_kernelK; the original functions are removed.

    A reduction with batch axes gets the same signature: `inputs` holds one
    more pointer after the variables, to the batch extents (one int64 per
    axis), and [begin, end) are rows of the batch elements laid end to end
    (element e owns rows [e R, (e + 1) R), R = M or N the kept rows). The
    kernel loops over the elements the range touches, advances each
    operand's pointer to its element (broadcast axes left out) and runs an
    unbatched memref-form copy of the reduction on it.

    With `gpu=true` the kernels are `gpu.func` kernels of one
    `gpu.module @keops_kernels` (and the module becomes a GPU container):

      F_kernelK(in0, ..., out0, ..., i64 M, i64 N)

    with one `!llvm.ptr` per input and output, each a whole row-major array:
    the launch's threads share the rows out (convert-keops-to-gpu). The 2-D
    scheme's kernels `F_kernelK_part` and `F_kernelK_combine` take two more
    parameters: the partial states (`!llvm.ptr`) and the chunk length
    (`_part`) or the number of chunks (`_combine`), as i64. Each kernel has
    a `keops.scheme` attribute: "1d", "part" or "combine".

    With `partial-states` (CPU), each reduction also gets three kernels of
    the same signature: `F_kernelK_partial` runs the `partial` reduction
    (outputs: its state's arrays, ReduceOp::getStateLayout) and reads the
    first reduced index, an int64, through the last pointer of `inputs`
    (after the batch extents and ranges); `F_kernelK_merge` merges two
    states (inputs: the first state's arrays, then the second's; outputs:
    the merged state's) and `F_kernelK_finalize` makes the outputs of a
    state, both over M rows (batch elements laid end to end).
  }];
  let options = [
    Option<"gpu", "gpu", "bool", /*default=*/"false",
           "build gpu.func kernels with the GPU runtime's calling convention">,
    Option<"partialStates", "partial-states", "bool", /*default=*/"false",
           "also build each reduction's partial, merge and finalize kernels">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect"];
}

def ConvertKeopsToSCF : Pass<"convert-keops-to-scf"> {
  let summary = "Lowers memref-form keops.reduce to vectorized loops for CPUs";
  let description = [{
    Each memref-form reduction becomes a loop over blocks of output rows and,
    inside, a loop over the reduced index. Output rows are the vector lanes:
    a formula value of dimension D for `lanes` rows at once is a
    vector<D x lanes x T>, and each block holds `blocks` such groups to
    reuse every load of a reduced variable. keops.select_index compares its
    widened indices with the reduced index (the inner induction variable) or
    with the kept rows' indices. Calls with few kept rows (`few-rows`) take
    a loop with consecutive reduced indices in the lanes instead, one kept
    row at a time, the lanes' states merged at the end of the row. Sums of
    formula values wider than `wide-above` take a loop over one kept row at
    a time with the feature axis in the lanes, their wide values computed
    by chunks, the sums in memory.
    Accumulators are the online
    states of docs/architecture.md (running max and rescaling for logsumexp,
    sorted K-lists for kmin). Formulas must be expanded first.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"0",
           "output rows per vector (0: 512 bits / element width)">,
    Option<"blocks", "blocks", "int64_t", /*default=*/"2",
           "groups of lanes processed together">,
    Option<"splits", "splits", "int64_t", /*default=*/"1",
           "reduce the reduced axis in this many consecutive ranges and "
           "merge their states (as the GPU's 2-D scheme does; for tests)">,
    Option<"accumulation", "accumulation", "std::string", /*default=*/"\"block\"",
           "sums: plain, block (partial sums of 256 terms), kahan, or f64">,
    Option<"gramColumns", "gram-columns", "int64_t", /*default=*/"8",
           "reduced indices per tile of keops.gram entries (0: no tiles, "
           "the entries lowered as dot products)">,
    Option<"fewRows", "few-rows", "int64_t", /*default=*/"-1",
           "calls with fewer kept rows than this put reduced indices in the "
           "lanes instead (-1: a quarter or half of lanes x blocks, by the "
           "formula's cost; 0: never)">,
    Option<"wideAbove", "wide-above", "int64_t", /*default=*/"32",
           "sums of formula values wider than this take a loop over one kept "
           "row at a time, the feature axis in the lanes, by chunks">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def ConvertKeopsToGPU : Pass<"convert-keops-to-gpu"> {
  let summary = "Lowers keops.reduce in gpu.func kernels to one thread per output row";
  let description = [{
    The 1-D GPU scheme. Each memref-form reduction in a `gpu.func` kernel
    (built by keops-outline-kernels with gpu=true) becomes code for a block
    of `block-size` threads, one per output row: the kept variables of the
    thread's row in registers, the formula ops that do not depend on the
    reduced variables evaluated once, then a loop over tiles of the reduced
    axis, each copied by the block into shared memory (workgroup
    attributions of the kernel) between two barriers, and the formula
    folded into the thread's accumulator for every reduced index of the
    tile. Rows past the end compute but do not write. The accumulators are
    those of the CPU lowering; the kernel gets `known_block_size`, and the
    runtime launches it with ceil(rows / block rows) blocks
    (keops/Conversion/GpuKernelShape.h).

    With `tensor-cores=tf32`, reductions that gpuUsesWarpTiles accepts use
    warp tiles: a warp computes 16 rows against 8 reduced indices at a
    time, the keops.gram entries (kept by keops-expand-formulas{keep-gram})
    by `nvvm.mma.sync` m16n8k8 products of TF32 operands rounded to
    nearest, the rest of the formula and the fold on the CUDA cores; the
    four threads sharing a row merge their states by `gpu.shuffle xor`.
    Other keops.gram entries are expanded as dot products.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"128",
           "threads per block, one output row each">,
    Option<"accumulation", "accumulation", "std::string", /*default=*/"\"block\"",
           "sums: plain, block (partial sums per tile), kahan, or f64">,
    Option<"unroll", "unroll", "int64_t", /*default=*/"0",
           "reduced indices per iteration of the loop over a tile (0: 4, 2 "
           "or 1 by the size of the formula)">,
    Option<"tensorCores", "tensor-cores", "std::string", /*default=*/"\"none\"",
           "keops.gram entries on the tensor cores: none or tf32">,
    Option<"gramMinDim", "gram-min-dim", "int64_t", /*default=*/"32",
           "the feature axis from which warp tiles are used (as "
           "keops-recognize-gram's min-dim)">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::NVVM::NVVMDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def ConvertGPUKernelsToHost : Pass<"convert-gpu-kernels-to-host", "::mlir::ModuleOp"> {
  let summary = "Turns gpu.func kernels into host functions run by the GPU emulator";
  let description = [{
    For testing the GPU schemes on machines without a GPU. Every kernel of
    every `gpu.module` becomes host code with the calling convention of
    `cuLaunchKernel`, which the runtime's GPU emulator (KEOPS_CUDA_DRIVER=
    emulator) runs with one fiber per GPU thread:

      func.func @K(%params: !llvm.ptr, %ctx: !llvm.ptr)

    where `%params` is the launch's array of pointers to the kernel's
    parameters and `%ctx` the thread's context, nine 64-bit words: thread
    id x, block id x and y, block size x, grid size x and y, the block's
    shared memory, the barrier function and its argument. `gpu.thread_id`,
    `gpu.block_id`, `gpu.block_dim` and `gpu.grid_dim` read the context;
    `gpu.barrier` calls the barrier function; workgroup attributions become
    memrefs on the shared memory, each at a 16-byte-aligned offset. The
    global `@K.shared_bytes` (i64) holds the size of that memory. The
    gpu.modules are then erased.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def KeopsApproximateMath : Pass<"keops-approximate-math"> {
  let summary = "Replaces f32 elementary functions by polynomial approximations";
  let description = [{
    exp, log, sin, cos, tanh, atan, atan2, asin, acos, erf and friends on f32
    (scalars or vectors of any shape) become polynomials in arith ops, which
    vectorize, instead of calls to libm. Accuracy: MLIR's approximations,
    within a few ulp over their domains (measured against the interpreter
    in test/python/test_cpu_backend.py). f64 functions are left to LLVM.
    f32 additions, subtractions, products and feature-axis sums
    (vector.reduction <add>) get the `contract` fast-math flag, so that
    they fuse into FMAs (the sums also get `nsz`). An f32 exp marked
    `keops.nonpositive` (its argument is <= 0: the log-sum-exp
    accumulator's exp(f - max)) gets a shorter approximation without the
    overflow path: Cody-Waite reduction, a degree-7 polynomial, 2^k from
    the exponent bits, exactly 0 below -88.

    With `gpu` (the GPU pipeline), f32 exp(x) becomes exp2(x log2(e)), its
    product marked `reassoc` (as is the product computing x, when exp is
    its only use: LLVM then merges their constant factors), exp2 and log
    stay math ops with the `afn` fast-math flag, which the NVVM lowering
    maps to the GPU's approximate instructions (ex2.approx, lg2.approx:
    within a few ulp). Kernels (gpu.func) then flush f32 subnormals to zero,
    as CPU kernels under approximate math do: they get the
    `denormal_fp_math_f32 = "preserve-sign"` attribute, and the NVPTX
    backend the .ftz forms of f32 instructions.

    With `nvvm` (device code only, after the GPU emulator's pipeline has
    parted), the f32 exp2 ops marked `afn` become calls of
    `llvm.nvvm.ex2.approx.ftz.f32`, one per component: the instruction
    without the range fix-up ptxas wraps around the non-ftz form (a compare
    and two predicated products).
  }];
  let options = [
    Option<"gpu", "gpu", "bool", /*default=*/"false",
           "the GPU's fast math: exp as exp2, exp2/log marked afn">,
    Option<"nvvm", "nvvm", "bool", /*default=*/"false",
           "only: f32 exp2 (afn) as NVVM's ex2.approx.ftz intrinsic">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

#endif // KEOPS_PASSES_TD
