//===- keops-gpu-info.cpp - the CUDA devices as the runtime sees them -----===//
//
//   keops-gpu-info                         each device: name, compute
//                                          capability, multiprocessors, memory
//   keops-gpu-info --ptxas F.ptx --arch A  F.ptx compiled for A with ptxas
//
// Exit status 2 when there is no CUDA driver or no GPU (the message is on
// stderr), 1 on other errors, such as PTX that ptxas rejects (with its log).
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::keops::runtime;

namespace cl = llvm::cl;

static cl::opt<std::string> ptxFile("ptxas",
                                    cl::desc("compile this PTX file to a cubin"),
                                    cl::value_desc("FILE.ptx"), cl::init(""));
static cl::opt<std::string> arch("arch", cl::desc("target of --ptxas"),
                                 cl::init("sm_90"));

static int compilePtx() {
  auto buffer = llvm::MemoryBuffer::getFile(ptxFile);
  if (!buffer) {
    llvm::errs() << "keops-gpu-info: " << ptxFile << ": "
                 << buffer.getError().message() << "\n";
    return 1;
  }
  std::string cubin, error;
  if (!cuda::ptxToCubin((*buffer)->getBuffer().str(), arch, cubin, error)) {
    llvm::errs() << error << "\n";
    return 1;
  }
  llvm::outs() << ptxFile << ": " << arch << " cubin, " << cubin.size()
               << " bytes\n";
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "keops CUDA devices\n");
  if (!ptxFile.empty())
    return compilePtx();

  std::string error;
  cuda::Driver *driver = cuda::Driver::get(error);
  if (!driver) {
    llvm::errs() << error << "\n";
    return 2;
  }
  for (int device = 0; device < driver->deviceCount(); ++device) {
    cuda::DeviceInfo info;
    if (!driver->deviceInfo(device, info, error)) {
      llvm::errs() << error << "\n";
      return 1;
    }
    llvm::outs() << "device " << device << ": " << info.name << ", sm_"
                 << info.major << info.minor << ", " << info.multiprocessors
                 << " multiprocessors, " << (info.totalMemory >> 20)
                 << " MiB, " << info.maxThreadsPerBlock
                 << " threads and " << (info.sharedMemoryPerBlockOptin >> 10)
                 << " KiB shared memory per block\n";
  }
  return 0;
}
