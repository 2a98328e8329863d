// RUN: keops-opt %s -keops-cpu-pipeline | FileCheck %s
// RUN: keops-opt %s -keops-cpu-pipeline | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// The whole CPU pipeline: only LLVM dialect is left, one kernel per
// reduction with the runtime's C signature, 16-lane f32 vectors, exp as
// a polynomial (no call), and f32 arithmetic free to fuse into FMAs.

// CHECK:     llvm.func @gaussian_kernel0(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64)
// CHECK-NOT: {{ keops\.(reduce|sqdist|yield)}}
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK-NOT: vector.
// CHECK-NOT: llvm.call @expf

// LLVM: define void @gaussian_kernel0(ptr %0, ptr %1, i64 %2, i64 %3, i64 %4, i64 %5)
// LLVM: fmul contract <16 x float>
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

// Index variables and keops.select_index, over j (the reduced index) and
// over i with `at j` (the kept rows' indices), down to the LLVM dialect; the i64 indices
// are compared as <16 x i64> vectors, the selection is a vector select.
// CHECK:     llvm.func @select_kernel0(
// CHECK-NOT: {{ keops\.(reduce|select_index|yield)}}
// CHECK:     llvm.icmp "eq" %{{.*}}, %{{.*}} : vector<16xi64>
// CHECK:     llvm.select %{{.*}}, %{{.*}}, %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK:     llvm.func @select_kernel1(
// CHECK-NOT: {{ keops\.(reduce|select_index|yield)}}
// CHECK:     llvm.icmp "eq" %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK-NOT: vector.

// LLVM: define void @select_kernel0(ptr %0, ptr %1, i64 %2, i64 %3, i64 %4, i64 %5)
// LLVM: icmp eq <16 x i64>
// LLVM: define void @select_kernel1(ptr %0, ptr %1, i64 %2, i64 %3, i64 %4, i64 %5)
// LLVM: icmp eq <16 x i32>
func.func @select(%y: tensor<?x2xf32>, %k: tensor<?x2xi64>, %o: tensor<?x2xf32>,
                  %l: tensor<?x2xi32>, %p: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %r = keops.reduce sum over j ins(%y : j tensor<?x2xf32>, %k : i tensor<?x2xi64>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%yj: vector<2xf32>, %ki: vector<2xi64>):
    %e = math.exp %yj : vector<2xf32>
    %s = keops.select_index %ki, %e : vector<2xi64>, vector<2xf32>
    keops.yield %s : vector<2xf32>
  } -> tensor<?x2xf32>
  %t = keops.reduce sum over i ins(%y : i tensor<?x2xf32>, %l : i tensor<?x2xi32>) outs(%p : tensor<?x2xf32>) {
  ^bb0(%yi: vector<2xf32>, %li: vector<2xi32>):
    %s = keops.select_index %li, %yi at j : vector<2xi32>, vector<2xf32>
    keops.yield %s : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r, %t : tensor<?x2xf32>, tensor<?x2xf32>
}
