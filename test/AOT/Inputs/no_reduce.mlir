func.func @nothing(%x: tensor<?x1xf32>) -> tensor<?x1xf32> {
  return %x : tensor<?x1xf32>
}
