// RUN: keops-opt %s -split-input-file -convert-gpu-kernels-to-host -verify-diagnostics

// What the GPU emulator cannot run is an error, not a silent miscompile.

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{has private attributions, which the GPU emulator does not support}}
    gpu.func @k() private(%p : memref<4xf32, #gpu.address_space<private>>) kernel {
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{has a parameter of type 'index', which a launch cannot pass (pointers, integers and floats only)}}
    gpu.func @k(%n: index) kernel {
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{has a workgroup attribution of type 'memref<?xf32, #gpu.address_space<workgroup>>', which the GPU emulator does not support}}
    gpu.func @k() workgroup(%w : memref<?xf32, #gpu.address_space<workgroup>>) kernel {
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%v: f32, %o: i32) kernel {
      // expected-error @below {{'gpu.shuffle' op of 'f32' has no host emulation (i32 only)}}
      %r, %ok = gpu.shuffle xor %v, %o, %o : f32
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k() kernel {
      // expected-error @below {{'gpu.lane_id' op has no host emulation}}
      %l = gpu.lane_id
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{is not a kernel; the GPU emulator runs kernels only}}
    gpu.func @helper() {
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k() kernel {
      %a = arith.constant dense<0.0> : vector<2xf16>
      %c = arith.constant dense<0.0> : vector<2xf16>
      // expected-error @below {{'nvvm.mma.sync' op has no host emulation (m16n8k8 TF32 only)}}
      %d = nvvm.mma.sync A[%a, %a] B[%a] C[%c, %c]
          {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
           shape = #nvvm.shape<m = 16, n = 8, k = 8>}
          : (vector<2xf16>, vector<2xf16>, vector<2xf16>) -> !llvm.struct<(vector<2xf16>, vector<2xf16>)>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%x: f32) kernel {
      // expected-error @below {{'nvvm.convert.float.to.tf32' op has no host emulation (rna only)}}
      %r = nvvm.convert.float.to.tf32 %x {rnd = #nvvm.fp_rnd_mode<rn>}
      gpu.return
    }
  }
}
