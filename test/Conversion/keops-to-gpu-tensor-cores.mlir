// RUN: keops-opt %s -split-input-file -keops-outline-kernels=gpu=true -keops-recognize-gram -keops-expand-formulas=keep-gram=true -convert-keops-to-gpu=tensor-cores=tf32 -canonicalize -cse 2>/dev/null | FileCheck %s
// RUN: keops-opt %s -split-input-file -keops-outline-kernels=gpu=true -keops-recognize-gram -keops-expand-formulas=keep-gram=true -convert-keops-to-gpu=tensor-cores=tf32 -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: not keops-opt %s -split-input-file -keops-outline-kernels=gpu=true -keops-expand-formulas -convert-keops-to-gpu=tensor-cores=fp16 2>&1 | FileCheck %s --check-prefix=BAD

// Warp tiles (WarpTile.h): lane = tid % 32 holds rows 16 warp + g and
// + 8 (g = lane / 4) of its block's 64, and columns 2t, 2t + 1 of each
// group of 8 (t = lane % 4). The Gram entries of a group are one chain of
// m16n8k8 TF32 products per parity of the step: the left operands read
// once from x's array, rounded to TF32 (cvt.rna), the right ones rounded
// in the copy to the tile (+ 0x1000, & ~0x1fff, NaNs kept) and read 16
// bytes at a time; a partial last group keeps its lanes past the tile's end; the four
// lanes of a row merge their states by xor shuffles, and the first writes.

// CHECK-LABEL: gpu.func @gauss_kernel0
// CHECK-SAME:    workgroup(%[[TILE:.*]] : memref<128x68xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME:    kernel attributes {keops.rows_per_thread = 2 : i64, keops.scheme = "1d", keops.warp_tiles, known_block_size = array<i32: 128, 1, 1>}
// CHECK:         %[[TID:.*]] = gpu.thread_id x
// CHECK:         %[[WARP:.*]] = arith.divui %[[TID]], %c32
// CHECK:         %[[LANE:.*]] = arith.remui %[[TID]], %c32
// CHECK:         %[[G:.*]] = arith.divui %[[LANE]], %c4
// CHECK:         %[[T:.*]] = arith.remui %[[LANE]], %c4
// CHECK:         %[[BID:.*]] = gpu.block_id x
// CHECK:         arith.muli %[[BID]], %c64
// CHECK:         arith.muli %[[WARP]], %c16
// CHECK:         %[[A0:.*]] = memref.load %{{.*}}[%{{.*}}, %{{.*}}] : memref<?x64xf32>
// CHECK:         nvvm.convert.float.to.tf32 %[[A0]] {rnd = #nvvm.fp_rnd_mode<rna>}
// CHECK:         scf.for %{{.*}} = %c0 to %{{.*}} step %c128
// CHECK:           %[[Y:.*]] = arith.bitcast %{{.*}} : vector<64xf32> to vector<64xi32>
// CHECK:           %[[UP:.*]] = arith.addi %[[Y]], %cst{{.*}} : vector<64xi32>
// CHECK:           %[[CUT:.*]] = arith.andi %[[UP]], %cst{{.*}} : vector<64xi32>
// CHECK:           %[[NAN:.*]] = arith.cmpf uno
// CHECK:           arith.select %[[NAN]], %[[Y]], %[[CUT]] : vector<64xi1>, vector<64xi32>
// CHECK:           vector.store %{{.*}}, %[[TILE]][%[[TID]], %c0] {alignment = 16 : i64}
// CHECK:         gpu.barrier
// CHECK:         scf.for %{{.*}} = %c0_i32 to %{{.*}} step %c8_i32
// CHECK:           %[[B:.*]] = vector.load %[[TILE]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<128x68xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK:           %[[B0:.*]] = vector.extract %[[B]][0] : f32 from vector<4xf32>
// CHECK:           arith.bitcast %[[B0]] : f32 to i32
// CHECK-COUNT-8:   nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<tf32>, multiplicandBPtxType = #nvvm.mma_type<tf32>, shape = #nvvm.shape<m = 16, n = 8, k = 8>}
// CHECK-COUNT-4:   math.exp
// CHECK:         scf.if
// CHECK:           nvvm.mma.sync
// CHECK:           arith.cmpi ult
// CHECK:         gpu.barrier
// CHECK:         gpu.shuffle xor %{{.*}}, %c1_i32, %c32_i32 : i32
// CHECK:         gpu.shuffle xor %{{.*}}, %c2_i32, %c32_i32 : i32
// CHECK:         %[[LEADS:.*]] = arith.cmpi eq, %[[T]], %c0
// CHECK:         arith.andi %{{.*}}, %[[LEADS]] : i1
// CHECK:         gpu.return

// REMARK: remark: warp tiles of 16 rows x 8 columns, keops.gram entries on the tensor cores (TF32)

func.func @gauss(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>, %b: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x64xf32>, %y : j tensor<?x64xf32>, %b : j tensor<?x1xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<64xf32>, %yj: vector<64xf32>, %bj: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<64xf32>
    %n = arith.negf %d : vector<1xf32>
    %k = math.exp %n : vector<1xf32>
    %f = arith.mulf %k, %bj : vector<1xf32>
    keops.yield %f : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// Left alone: short vectors keep the 1-D scheme's rows and the CUDA cores.

// CHECK-LABEL: gpu.func @short_kernel0
// CHECK-NOT:     keops.warp_tiles
// CHECK-NOT:     nvvm.mma.sync
// CHECK:         gpu.return
// REMARK: remark: no tensor cores: no kept and reduced variables of 32 components or more

func.func @short(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce min over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// Left alone: float64 data (tensor cores would round them to TF32).

// CHECK-LABEL: gpu.func @double_kernel0
// CHECK-NOT:     nvvm.mma.sync
// CHECK:         gpu.return
// REMARK: remark: no tensor cores: the data are not float32

func.func @double(%x: tensor<?x64xf64>, %y: tensor<?x64xf64>, %o: tensor<?x1xf64>) -> tensor<?x1xf64> {
  %r = keops.reduce min over j
      ins(%x : i tensor<?x64xf64>, %y : j tensor<?x64xf64>)
      outs(%o : tensor<?x1xf64>) {
  ^bb0(%xi: vector<64xf64>, %yj: vector<64xf64>):
    %d = keops.sqdist %xi, %yj : vector<64xf64>
    keops.yield %d : vector<1xf64>
  } -> tensor<?x1xf64>
  return %r : tensor<?x1xf64>
}

// -----

// No inner product (an L1 distance): warp tiles, all on the CUDA cores.

// CHECK-LABEL: gpu.func @manhattan_kernel0
// CHECK-SAME:    keops.warp_tiles
// CHECK-NOT:     nvvm.mma.sync
// CHECK:         gpu.shuffle xor
// CHECK:         gpu.return
// REMARK: remark: warp tiles of 16 rows x 8 columns, on the CUDA cores: no keops.gram entries

func.func @manhattan(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce min over j
      ins(%x : i tensor<?x64xf32>, %y : j tensor<?x64xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<64xf32>, %yj: vector<64xf32>):
    %s = arith.subf %xi, %yj : vector<64xf32>
    %a = math.absf %s : vector<64xf32>
    %d = keops.sum %a : vector<64xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// BAD: tensor-cores=fp16 is not one of none, tf32
