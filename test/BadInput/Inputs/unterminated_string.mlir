func.func @f(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) attributes {note = "an unterminated string
