// RUN: keops-opt %s -keops-cpu-pipeline | FileCheck %s
// RUN: keops-opt %s -keops-cpu-pipeline | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// The whole CPU pipeline: only LLVM dialect is left, one kernel per
// reduction with the runtime's C signature, 16-lane f32 vectors, and exp as
// a polynomial (no call).

// CHECK:     llvm.func @gaussian_kernel0(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64)
// CHECK-NOT: {{ keops\.(reduce|sqdist|yield)}}
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK-NOT: vector.
// CHECK-NOT: llvm.call @expf

// LLVM: define void @gaussian_kernel0(ptr %0, ptr %1, i64 %2, i64 %3, i64 %4, i64 %5)
// LLVM: fmul <16 x float>
func.func @gaussian(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x1xf32>,
                    %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x1xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %n = arith.negf %d : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %v = arith.mulf %e, %bj : vector<1xf32>
    keops.yield %v : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}
