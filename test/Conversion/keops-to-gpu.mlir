// RUN: keops-opt %s -split-input-file -keops-outline-kernels=gpu=true -keops-expand-formulas -convert-keops-to-gpu=unroll=1 | FileCheck %s
// RUN: keops-opt %s -split-input-file -keops-outline-kernels=gpu=true -keops-expand-formulas -convert-keops-to-gpu="block-size=64 accumulation=plain unroll=1" | FileCheck %s --check-prefix=B64
// RUN: keops-opt %s -split-input-file -keops-outline-kernels=gpu=true -keops-expand-formulas -convert-keops-to-gpu -canonicalize | FileCheck %s --check-prefix=UNROLL
// RUN: not keops-opt %s -split-input-file -keops-outline-kernels=gpu=true -keops-expand-formulas -convert-keops-to-gpu=unroll=65 2>&1 | FileCheck %s --check-prefix=BADUNROLL
// RUN: keops-opt %s -split-input-file -keops-gpu-pipeline="chip=sm_90" -o /dev/null

// The 1-D scheme, two output rows a thread (gpuRowsPerThread: a sum of
// narrow rows): rows b * 256 + tid and b * 256 + tid + 128; tiles of y and b
// copied to shared memory by the block between two barriers, packed in one
// row of 16 bytes (y_j, then b_j), stored and read with that alignment; a
// row of the tile read once for both rows' pairs; each thread's x rows and
// the parameter read once; rows past the end computed but not written.

// CHECK-LABEL: gpu.module @keops_kernels
// CHECK:       gpu.func @gauss_kernel0(%[[X:.*]]: !llvm.ptr, %[[Y:.*]]: !llvm.ptr, %[[B:.*]]: !llvm.ptr, %[[S:.*]]: !llvm.ptr, %[[O:.*]]: !llvm.ptr, %[[M:.*]]: i64, %[[N:.*]]: i64)
// CHECK-SAME:    workgroup(%[[SY:.*]] : memref<128x4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME:    kernel attributes {keops.rows_per_thread = 2 : i64, keops.scheme = "1d", known_block_size = array<i32: 128, 1, 1>}
// CHECK:         %[[TID:.*]] = gpu.thread_id x
// CHECK:         %[[BID:.*]] = gpu.block_id x
// CHECK:         %[[BASE:.*]] = arith.muli %[[BID]], %c256
// CHECK:         %[[LAST:.*]] = arith.maxsi
// CHECK:         %[[ROW:.*]] = arith.addi %[[BASE]], %[[TID]]
// CHECK:         %[[KEPT:.*]] = arith.minsi %[[ROW]], %[[LAST]]
// CHECK:         %[[INSIDE:.*]] = arith.cmpi slt, %[[ROW]], %{{.*}}
// CHECK:         %[[ROW2:.*]] = arith.addi %[[ROW]], %c128
// CHECK:         %[[KEPT2:.*]] = arith.minsi %[[ROW2]], %[[LAST]]
// CHECK:         %[[INSIDE2:.*]] = arith.cmpi slt, %[[ROW2]], %{{.*}}
// CHECK:         %[[XI:.*]] = vector.load %{{.*}}[%[[KEPT]], %{{.*}}] {alignment = 4 : i64} : memref<?x3xf32>, vector<3xf32>
// CHECK:         %[[SP:.*]] = vector.load %{{.*}}[%{{.*}}] {alignment = 4 : i64} : memref<1xf32>, vector<1xf32>
// CHECK:         %[[XI2:.*]] = vector.load %{{.*}}[%[[KEPT2]], %{{.*}}] {alignment = 4 : i64} : memref<?x3xf32>, vector<3xf32>
// CHECK:         %[[ACC:.*]]:4 = scf.for %[[T:.*]] = %{{.*}} to %[[COLS:.*]] step %c128{{[_0-9]*}} iter_args(
// CHECK:           %[[SRC:.*]] = arith.addi %[[T]], %[[TID]]
// CHECK:           %[[IN:.*]] = arith.cmpi slt, %[[SRC]], %[[COLS]]
// CHECK:           scf.if %[[IN]] {
// CHECK:             %[[YG:.*]] = vector.load %{{.*}}[%[[SRC]], %{{.*}}] {alignment = 4 : i64} : memref<?x3xf32>, vector<3xf32>
// CHECK:             %[[BG:.*]] = vector.load %{{.*}}[%[[SRC]], %{{.*}}] {alignment = 4 : i64} : memref<?x1xf32>, vector<1xf32>
// CHECK:             %[[R1:.*]] = vector.insert_strided_slice %[[YG]], %{{.*}} {offsets = [0], strides = [1]} : vector<3xf32> into vector<4xf32>
// CHECK:             %[[R2:.*]] = vector.insert_strided_slice %[[BG]], %[[R1]] {offsets = [3], strides = [1]} : vector<1xf32> into vector<4xf32>
// CHECK:             vector.store %[[R2]], %[[SY]][%[[TID]], %{{.*}}] {alignment = 16 : i64} : memref<128x4xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK:           }
// CHECK:           gpu.barrier
// The loop over the tile counts in 32 bits and carries the tile's row as
// an index (from 0, one a pair).
// CHECK:           %[[CNT:.*]] = arith.index_cast %{{.*}} : index to i32
// CHECK:           scf.for %{{.*}} = %c0_i32 to %[[CNT]] step %c1_i32 iter_args(%{{.*}} = %{{.*}}, %[[S1:.*]] = %{{.*}}, %{{.*}} = %{{.*}}, %[[S2:.*]] = %{{.*}}, %[[L:.*]] = %c0{{[_0-9]*}}) -> ({{.*}}, index) : i32
// CHECK:             %[[ROWJ:.*]] = vector.load %[[SY]][%[[L]], %{{.*}}] {alignment = 16 : i64} : memref<128x4xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK:             %[[YJ:.*]] = vector.extract_strided_slice %[[ROWJ]] {offsets = [0], sizes = [3], strides = [1]}
// CHECK:             %[[BJ:.*]] = vector.extract_strided_slice %[[ROWJ]] {offsets = [3], sizes = [1], strides = [1]}
// CHECK:             arith.subf %[[XI]], %[[YJ]]
// CHECK:             vector.reduction <add>
// CHECK:             arith.mulf %{{.*}}, %[[SP]]
// CHECK:             math.exp
// CHECK:             %[[F1:.*]] = arith.mulf %{{.*}}, %[[BJ]]
// CHECK:             %[[A1:.*]] = arith.addf %[[S1]], %[[F1]]
// CHECK-NOT:         vector.load
// CHECK:             arith.subf %[[XI2]], %[[YJ]]
// CHECK:             math.exp
// CHECK:             %[[F2:.*]] = arith.mulf %{{.*}}, %[[BJ]]
// CHECK:             %[[A2:.*]] = arith.addf %[[S2]], %[[F2]]
// CHECK:             %[[NEXT:.*]] = arith.addi %[[L]], %c1
// CHECK:             scf.yield %{{.*}}, %[[A1]], %{{.*}}, %[[A2]], %[[NEXT]]
// CHECK:           gpu.barrier
// CHECK:           scf.yield
// CHECK:         scf.if %[[INSIDE]] {
// CHECK:           vector.store %{{.*}}, %{{.*}}[%[[ROW]], %{{.*}}] : memref<?x1xf32>, vector<1xf32>
// CHECK:         scf.if %[[INSIDE2]] {
// CHECK:           vector.store %{{.*}}, %{{.*}}[%[[ROW2]], %{{.*}}] : memref<?x1xf32>, vector<1xf32>
// CHECK:         gpu.return

// The 2-D scheme. _part: the same tiles over chunk block_id.y of the reduced
// axis, [y * chunk, min(y * chunk + chunk, N)), two rows a thread; each
// row's state, unfinalized, is stored at row y * M + row of the partial
// states (after the sum's block flush, its two values).
// CHECK-LABEL: gpu.func @gauss_kernel0_part(
// CHECK-SAME:    %[[STATES:[^:]*]]: !llvm.ptr, %[[CHUNK:[^:]*]]: i64) workgroup(
// CHECK-SAME:    keops.scheme = "part"
// CHECK:         %[[TID:.*]] = gpu.thread_id x
// CHECK:         %[[ROW:.*]] = arith.addi %{{.*}}, %[[TID]]
// CHECK:         %[[INSIDE:.*]] = arith.cmpi slt, %[[ROW]], %[[ROWS:[^ ]*]] :
// CHECK:         %[[ROW2:.*]] = arith.addi %[[ROW]], %c128
// CHECK:         %[[INSIDE2:.*]] = arith.cmpi slt, %[[ROW2]], %[[ROWS]] :
// CHECK:         %[[C:.*]] = arith.index_cast %[[CHUNK]] : i64 to index
// CHECK:         %[[CH:.*]] = arith.maxsi %[[C]], %c1
// CHECK:         %[[NCH:.*]] = arith.ceildivsi %{{.*}}, %[[CH]]
// CHECK:         llvm.getelementptr %[[STATES]][%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK:         %[[S0:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x1xf32>
// CHECK:         llvm.getelementptr %[[STATES]][%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK:         %[[S1:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x1xf32>
// CHECK:         %[[Y:.*]] = gpu.block_id y
// CHECK:         %[[LO:.*]] = arith.muli %[[Y]], %[[CH]]
// CHECK:         %[[END:.*]] = arith.addi %[[LO]], %[[CH]]
// CHECK:         %[[HI:.*]] = arith.minsi %[[END]], %{{.*}}
// CHECK:         %[[ST:.*]]:4 = scf.for %{{.*}} = %[[LO]] to %[[HI]] step %c128{{[_0-9]*}}
// CHECK:           gpu.barrier
// CHECK:           gpu.barrier
// CHECK:         %[[Y2:.*]] = gpu.block_id y
// CHECK:         %[[BASE:.*]] = arith.muli %[[Y2]], %[[ROWS]]
// CHECK:         %[[AT:.*]] = arith.addi %[[BASE]], %[[ROW]]
// CHECK:         scf.if %[[INSIDE]] {
// CHECK:           vector.store %[[ST]]#0, %[[S0]][%[[AT]], %{{.*}}]
// CHECK:           vector.store %[[ST]]#1, %[[S1]][%[[AT]], %{{.*}}]
// CHECK:         %[[Y3:.*]] = gpu.block_id y
// CHECK:         %[[BASE2:.*]] = arith.muli %[[Y3]], %[[ROWS]]
// CHECK:         %[[AT2:.*]] = arith.addi %[[BASE2]], %[[ROW2]]
// CHECK:         scf.if %[[INSIDE2]] {
// CHECK:           vector.store %[[ST]]#2, %[[S0]][%[[AT2]], %{{.*}}]
// CHECK:           vector.store %[[ST]]#3, %[[S1]][%[[AT2]], %{{.*}}]

// _combine: one thread per row merges the chunks' states in order, then
// finalizes and writes the row.
// CHECK-LABEL: gpu.func @gauss_kernel0_combine(
// CHECK-SAME:    %[[CHUNKS:[^:]*]]: i64) kernel attributes {keops.scheme = "combine"
// CHECK-NOT:     gpu.barrier
// CHECK:         %[[N:.*]] = arith.index_cast %[[CHUNKS]] : i64 to index
// CHECK:         %[[A:.*]] = vector.load %{{.*}}[%[[KEPT:.*]], %{{.*}}] : memref<?x1xf32>, vector<1xf32>
// CHECK:         %[[B:.*]] = vector.load %{{.*}}[%[[KEPT]], %{{.*}}] : memref<?x1xf32>, vector<1xf32>
// CHECK:         %[[M:.*]]:2 = scf.for %[[K:.*]] = %c1 to %[[N]] step %c1 iter_args(%[[P:.*]] = %[[A]], %[[Q:.*]] = %[[B]])
// CHECK:           %[[KR:.*]] = arith.muli %[[K]], %{{.*}}
// CHECK:           %[[AT2:.*]] = arith.addi %[[KR]], %[[KEPT]]
// CHECK:           %[[A2:.*]] = vector.load %{{.*}}[%[[AT2]], %{{.*}}]
// CHECK:           %[[B2:.*]] = vector.load %{{.*}}[%[[AT2]], %{{.*}}]
// CHECK:           %[[T1:.*]] = arith.addf %[[P]], %[[Q]]
// CHECK:           %[[T2:.*]] = arith.addf %[[A2]], %[[B2]]
// CHECK:           %[[T:.*]] = arith.addf %[[T1]], %[[T2]]
// CHECK:           scf.yield %[[T]], %{{.*}}
// CHECK:         %[[OUT:.*]] = arith.addf %[[M]]#0, %[[M]]#1
// CHECK:         scf.if
// CHECK:           vector.store %[[OUT]]

// By default a small formula's loop over a tile takes 4 reduced indices
// per iteration, each folded in turn into the accumulators of the thread's
// two rows, and a remainder loop the others.
// UNROLL-LABEL: gpu.func @gauss_kernel0(
// UNROLL:         gpu.barrier
// UNROLL:         %[[MAIN:.*]]:3 = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c4_i32 iter_args(%[[A:[^ ]*]] = %{{.*}}, %[[B:[^ ]*]] = %{{.*}}, %{{.*}} = %{{.*}})
// UNROLL:           math.exp
// UNROLL:           %[[A1:.*]] = arith.addf %[[A]], %{{.*}}
// UNROLL:           math.exp
// UNROLL:           %[[B1:.*]] = arith.addf %[[B]], %{{.*}}
// UNROLL:           math.exp
// UNROLL:           %[[A2:.*]] = arith.addf %[[A1]], %{{.*}}
// UNROLL:           math.exp
// UNROLL:           %[[B2:.*]] = arith.addf %[[B1]], %{{.*}}
// UNROLL:           math.exp
// UNROLL:           %[[A3:.*]] = arith.addf %[[A2]], %{{.*}}
// UNROLL:           math.exp
// UNROLL:           %[[B3:.*]] = arith.addf %[[B2]], %{{.*}}
// UNROLL:           math.exp
// UNROLL:           %[[A4:.*]] = arith.addf %[[A3]], %{{.*}}
// UNROLL:           math.exp
// UNROLL:           %[[B4:.*]] = arith.addf %[[B3]], %{{.*}}
// UNROLL-NOT:       math.exp
// UNROLL:           scf.yield %[[A4]], %[[B4]], %{{.*}}
// UNROLL:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1_i32 iter_args(%{{.*}} = %[[MAIN]]#0, %{{.*}} = %[[MAIN]]#1, %{{.*}} = %[[MAIN]]#2)
// UNROLL:           math.exp
// UNROLL:           math.exp
// UNROLL-NOT:       math.exp
// UNROLL:         gpu.barrier

// BADUNROLL: error: unroll 65 is not in [0, 64]

// B64-LABEL: gpu.func @gauss_kernel0(
// B64-SAME:    workgroup(%{{.*}} : memref<64x4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// B64-SAME:    known_block_size = array<i32: 64, 1, 1>
// B64:         scf.for {{.*}} step %c64{{[_0-9]*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<1xf32>, vector<1xf32>)

func.func @gauss(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x1xf32>, %s: tensor<1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x1xf32>, %s : p tensor<1xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<1xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %k = math.exp %n : vector<1xf32>
    %f = arith.mulf %k, %bj : vector<1xf32>
    keops.yield %f : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// A reduction over i with index outputs: the kept rows are j's; the
// accumulator holds values and i64 indices; keops.select_index compares
// with the reduced index (the inner loop's) or, at j, with the thread's row.

// CHECK-LABEL: gpu.func @argmin_i_kernel0(
// CHECK:         %[[ROW:.*]] = arith.addi
// CHECK:         scf.for %[[T:.*]] = {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<2xf64>, vector<2xi64>)
// CHECK:           scf.for %{{.*}} = %c0_i32 to %{{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %[[L:.*]] = %c0{{[_0-9]*}})
// CHECK:             %[[I:.*]] = arith.addi %[[T]], %[[L]]
// CHECK:             %[[II:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK:             %[[IB:.*]] = vector.broadcast %[[II]] : i64 to vector<2xi64>
// CHECK:             arith.cmpi eq, %{{.*}}, %[[IB]] : vector<2xi64>
// CHECK:             %[[JR:.*]] = arith.index_cast %[[ROW]] : index to i64
// CHECK:             %[[JB:.*]] = vector.broadcast %[[JR]] : i64 to vector<2xi64>
// CHECK:             arith.cmpi eq, %{{.*}}, %[[JB]] : vector<2xi64>
// CHECK:         scf.if
// CHECK:           vector.store %{{.*}} : memref<?x2xf64>, vector<2xf64>
// CHECK:           vector.store %{{.*}} : memref<?x2xi64>, vector<2xi64>

func.func @argmin_i(%x: tensor<?x2xf64>, %ix: tensor<?x2xi64>, %y: tensor<?x2xf64>, %o: tensor<?x2xf64>, %oi: tensor<?x2xi64>) -> (tensor<?x2xf64>, tensor<?x2xi64>) {
  %r:2 = keops.reduce min_argmin over i
      ins(%x : i tensor<?x2xf64>, %ix : i tensor<?x2xi64>, %y : j tensor<?x2xf64>)
      outs(%o : tensor<?x2xf64>, %oi : tensor<?x2xi64>) {
  ^bb0(%xi: vector<2xf64>, %ixi: vector<2xi64>, %yj: vector<2xf64>):
    %d = arith.subf %xi, %yj : vector<2xf64>
    %s = keops.select_index %ixi, %d : vector<2xi64>, vector<2xf64>
    %t = keops.select_index %ixi, %s at j : vector<2xi64>, vector<2xf64>
    keops.yield %t : vector<2xf64>
  } -> tensor<?x2xf64>, tensor<?x2xi64>
  return %r#0, %r#1 : tensor<?x2xf64>, tensor<?x2xi64>
}

// -----

// Reduced rows too wide for 48 KiB of shared memory at 128 rows a tile:
// tiles of 23 rows of 256 doubles, padded to 129 16-byte words (an odd
// number: a warp's 16-byte stores of consecutive rows hit distinct banks);
// threads past the tile copy nothing.

// CHECK-LABEL: gpu.func @wide_kernel0(
// CHECK-SAME:    workgroup(%{{.*}} : memref<23x258xf64, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK:         scf.for {{.*}} step %c23
// CHECK:           arith.cmpi slt, %{{.*}}, %c23

func.func @wide(%x: tensor<?x256xf64>, %y: tensor<?x256xf64>, %o: tensor<?x1xf64>) -> tensor<?x1xf64> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x256xf64>, %y : j tensor<?x256xf64>)
      outs(%o : tensor<?x1xf64>) {
  ^bb0(%xi: vector<256xf64>, %yj: vector<256xf64>):
    %d = keops.dot %xi, %yj : vector<256xf64>
    keops.yield %d : vector<1xf64>
  } -> tensor<?x1xf64>
  return %r : tensor<?x1xf64>
}

// -----

// Block-sparse: block k of the ranges over blockIdx.x, its tiles of rows
// over blockIdx.y (a loop of step gridDim.y), rows past the block's end
// computed but not written; the tiles of y through shared memory, interval
// after interval of the block, the states carried along. Blocks of threads
// past the blocks of the ranges (with ranges per batch element, the grid
// has the blocks of the element with most) read block 0 and reduce no row.
// CHECK-LABEL: gpu.func @ranged_kernel0(
// CHECK:         %[[TID:.*]] = gpu.thread_id  x
// CHECK:         %[[BX:.*]] = gpu.block_id  x
// CHECK:         %[[NB:.*]] = memref.dim %[[BLOCKS:.*]], %{{.*}} : memref<?x2xi64>
// CHECK:         %[[VALID:.*]] = arith.cmpi slt, %[[BX]], %[[NB]] : index
// CHECK:         %[[K:.*]] = arith.select %[[VALID]], %[[BX]], %{{.*}} : index
// CHECK:         %[[R0:.*]] = memref.load %[[BLOCKS]][%[[K]], %{{.*}}] : memref<?x2xi64>
// CHECK:         %[[R1:.*]] = memref.load %[[BLOCKS]][%[[K]], %{{.*}}] : memref<?x2xi64>
// CHECK:         %[[FROM:.*]] = arith.select
// CHECK:         memref.load %{{.*}}[%[[K]]] : memref<?xi64>
// CHECK:         %[[COUNT:.*]] = arith.select %[[VALID]], %{{.*}}, %{{.*}} : index
// CHECK:         %[[GY:.*]] = gpu.grid_dim  y
// CHECK:         %[[BY:.*]] = gpu.block_id  y
// CHECK:         scf.for %{{.*}} = %[[BY]] to %[[COUNT]] step %[[GY]] {
// CHECK:           scf.for %[[S:.*]] = %[[FROM]] to %{{.*}} step %{{.*}} iter_args(
// CHECK:             memref.load %[[IV:.*]][%[[S]], %{{.*}}] : memref<?x2xi64>
// CHECK:             scf.for
// CHECK:               gpu.barrier
// CHECK:               gpu.barrier
// CHECK:           scf.if
// CHECK:             vector.store
// The 2-D scheme: chunk block_id.y holds positions [c L, (c + 1) L) of the
// block's intervals laid end to end; each interval is clipped to them (the
// position where it starts carried along), the block's tiles of rows taken
// in turn, and every row's state stored for every chunk of the grid.
// CHECK-LABEL: gpu.func @ranged_kernel0_part(
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[ONE:[^ ]*]] {
// CHECK:           %[[CNT:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK-NEXT:      %[[L:.*]] = arith.maxsi %[[CNT]], %{{.*}} : index
// CHECK:           %[[CHUNKS:.*]] = gpu.grid_dim  y
// CHECK:           %[[C:.*]] = gpu.block_id  y
// CHECK:           %[[LO:.*]] = arith.muli %[[C]], %[[L]] : index
// CHECK:           %[[HI:.*]] = arith.addi %[[LO]], %[[L]] : index
// CHECK:           scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %[[AT:.*]] = %{{.*}}) -> (vector<1xf32>, vector<1xf32>, index) {
// CHECK:             %[[LEN:.*]] = arith.subi
// CHECK:             %[[SKIP:.*]] = arith.subi %[[LO]], %[[AT]] : index
// CHECK:             arith.maxsi %[[SKIP]], %{{.*}} : index
// CHECK:             %[[KEEP:.*]] = arith.subi %[[HI]], %[[AT]] : index
// CHECK:             arith.minsi %[[KEEP]], %[[LEN]] : index
// CHECK:             gpu.barrier
// CHECK:             arith.addi %[[AT]], %[[LEN]] : index
// CHECK:           scf.if
// CHECK:             vector.store
// The combine kernel merges each row's chunks like the dense one.
// CHECK-LABEL: gpu.func @ranged_kernel0_combine(
// CHECK-NOT:     gpu.barrier
// CHECK:         scf.for
// CHECK:         gpu.return
func.func @ranged(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>,
                  %a: tensor<?x2xi64>, %b: tensor<?xi64>, %c: tensor<?x2xi64>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>)
      ranges(%a, %b, %c, %a, %b, %c : tensor<?x2xi64>, tensor<?xi64>, tensor<?x2xi64>, tensor<?x2xi64>, tensor<?xi64>, tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// Batched, 2-D scheme: the partial states of batch element e (the batch
// loop's induction variable), chunk c, row r at (e * chunks + c) * rows + r,
// in arrays of elements * chunks * rows states.
// CHECK-LABEL: gpu.func @bsum_kernel0_part(
// CHECK:         %[[ELS:.*]] = arith.muli %c1, %{{.*}} : index
// CHECK:         %[[BZ:.*]] = gpu.block_id  z
// CHECK:         scf.for %[[E:.*]] = %[[BZ]] to %[[ELS]] step %{{.*}} {
// CHECK:           %[[NCH:.*]] = arith.ceildivsi
// CHECK:           %[[SLOTS:.*]] = arith.muli %[[ELS]], %[[NCH]] : index
// CHECK:           arith.muli %[[SLOTS]], %{{.*}} : index
// CHECK:           %[[EC:.*]] = arith.muli %[[E]], %[[NCH]] : index
// CHECK:           %[[SLOT:.*]] = arith.addi %[[EC]], %block_id_y{{.*}} : index
// CHECK:           %[[SR:.*]] = arith.muli %[[SLOT]], %{{.*}} : index
// CHECK:           arith.addi %[[SR]], %{{.*}} : index
func.func @bsum(%x: tensor<?x?x3xf32>, %y: tensor<?x?x3xf32>, %o: tensor<?x?x1xf32>) -> tensor<?x?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x?x3xf32>, %y : j tensor<?x?x3xf32>) outs(%o : tensor<?x?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x?x1xf32>
  return %r : tensor<?x?x1xf32>
}

// -----

// K above 32: a thread keeps its K-lists in memory, as heaps memref<K x D>
// allocated once at the kernel's entry (local memory), and its bars in
// registers; a component whose term passes its bar sifts it in. The 2-D
// scheme stores the heaps whole; the combine kernel reloads each chunk's
// into a second pair of heaps and merges it.
// CHECK-LABEL: gpu.func @klist_kernel0(
// CHECK-NEXT:    %[[V:.*]] = memref.alloca() : memref<40x2xi32>
// CHECK-NEXT:    %[[I:.*]] = memref.alloca() : memref<40x2xi32>
// CHECK:         scf.for {{.*}} iter_args({{.*}} = %[[V]], {{.*}} = %[[I]]) -> (vector<2xf32>, vector<2xi32>, memref<40x2xi32>, memref<40x2xi32>)
// CHECK:           vector.reduction <or>
// CHECK:           scf.while
// CHECK-NOT:     memref.dealloc
// CHECK:         gpu.return
// CHECK-LABEL: gpu.func @klist_kernel0_part(
// CHECK:         memref.store {{.*}} : memref<?x80xf32>
// CHECK:         memref.store {{.*}} : memref<?x80xi32>
// CHECK-LABEL: gpu.func @klist_kernel0_combine(
// CHECK-COUNT-4: memref.alloca()
// CHECK-NOT:     memref.dealloc
// CHECK:         gpu.return
func.func @klist(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %o: tensor<?x80xf32>, %oi: tensor<?x80xi32>) -> (tensor<?x80xf32>, tensor<?x80xi32>) {
  %r:2 = keops.reduce kmin_argkmin k = 40 over j ins(%x : i tensor<?x2xf32>, %y : j tensor<?x2xf32>) outs(%o : tensor<?x80xf32>, %oi : tensor<?x80xi32>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>):
    %d = arith.subf %a, %b : vector<2xf32>
    keops.yield %d : vector<2xf32>
  } -> tensor<?x80xf32>, tensor<?x80xi32>
  return %r#0, %r#1 : tensor<?x80xf32>, tensor<?x80xi32>
}

// -----

// Values of the reduced side only (here |y_j|^2 and exp(g_j)) are computed
// by the thread that copies the row and stored after the variables: y, g,
// then the two values, 6 floats; a pair loads 2 16-byte words, a row takes
// 3 (an odd number). The pair loop reads them from the tile and computes
// neither (the canonicalizer removes the copies left dead).

// CHECK-LABEL: gpu.func @derived_kernel0(
// CHECK-SAME:    workgroup(%[[T:.*]] : memref<128x12xf32, #gpu.address_space<workgroup>>
// CHECK:         scf.if
// CHECK:           %[[Y:.*]] = vector.load {{.*}} : memref<?x3xf32>, vector<3xf32>
// CHECK:           %[[G:.*]] = vector.load {{.*}} : memref<?x1xf32>, vector<1xf32>
// CHECK:           %[[E:.*]] = math.exp %[[G]]
// CHECK:           %[[YY:.*]] = arith.mulf %[[Y]], %[[Y]]
// CHECK:           %[[N:.*]] = vector.reduction <add>, %[[YY]]
// CHECK:           %[[NB:.*]] = vector.broadcast %[[N]]
// CHECK:           vector.insert_strided_slice %[[Y]], %{{.*}} {offsets = [0], strides = [1]} : vector<3xf32> into vector<12xf32>
// CHECK:           vector.insert_strided_slice %[[G]], %{{.*}} {offsets = [3], strides = [1]}
// CHECK:           vector.insert_strided_slice %[[NB]], %{{.*}} {offsets = [4], strides = [1]}
// CHECK:           vector.insert_strided_slice %[[E]], %{{.*}} {offsets = [5], strides = [1]}
// CHECK:           vector.store %{{.*}}, %[[T]]
// CHECK:         gpu.barrier
// CHECK:         scf.for
// CHECK:           %[[ROW:.*]] = vector.load %[[T]]{{.*}} : memref<128x12xf32, #gpu.address_space<workgroup>>, vector<8xf32>
// CHECK-DAG:       vector.extract_strided_slice %[[ROW]] {offsets = [4], sizes = [1], strides = [1]}
// CHECK-DAG:       vector.extract_strided_slice %[[ROW]] {offsets = [5], sizes = [1], strides = [1]}
// CHECK-NOT:       math.exp
// CHECK:           scf.yield

func.func @derived(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %g: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce max over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %g : j tensor<?x1xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %gj: vector<1xf32>):
    %e = math.exp %gj : vector<1xf32>
    %n = keops.sqnorm2 %yj : vector<3xf32>
    %d = keops.dot %xi, %yj : vector<3xf32>
    %s = arith.addf %d, %n : vector<1xf32>
    %f = arith.mulf %s, %e : vector<1xf32>
    keops.yield %f : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// A derived value that reads a parameter (exp(g_j s^2)): the copy uses the
// value of s^2 the kernel computed before its loops.

// CHECK-LABEL: gpu.func @derivedp_kernel0(
// CHECK:         %[[S:.*]] = vector.load %{{.*}} : memref<1xf32>, vector<1xf32>
// CHECK:         %[[S2:.*]] = arith.mulf %[[S]], %[[S]]
// CHECK:         scf.if
// CHECK:           %[[G:.*]] = vector.load {{.*}} : memref<?x1xf32>, vector<1xf32>
// CHECK:           %[[GS:.*]] = arith.mulf %[[G]], %[[S2]]
// CHECK:           %[[E:.*]] = math.exp %[[GS]]
// CHECK:           vector.insert_strided_slice %[[E]], %{{.*}} {offsets = [4], strides = [1]}
// CHECK:         gpu.barrier
// CHECK-NOT:     math.exp
// CHECK:         gpu.barrier

func.func @derivedp(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %g: tensor<?x1xf32>, %s: tensor<1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %g : j tensor<?x1xf32>, %s : p tensor<1xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %gj: vector<1xf32>, %sp: vector<1xf32>):
    %s2 = arith.mulf %sp, %sp : vector<1xf32>
    %gs = arith.mulf %gj, %s2 : vector<1xf32>
    %e = math.exp %gs : vector<1xf32>
    %d = keops.dot %xi, %yj : vector<3xf32>
    %f = arith.mulf %d, %e : vector<1xf32>
    keops.yield %f : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}
