func.func @dynamic_sequences(%q: tensor<?x16xf32>, %k: tensor<?x16xf32>, %v: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %sq = tensor.dim %q, %c0 : tensor<?x16xf32>
  %sk = tensor.dim %k, %c0 : tensor<?x16xf32>
  %e = tensor.empty(%sq, %sk) : tensor<?x?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x?xf32>) -> tensor<?x?xf32>
  %s = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]
         ins(%q, %k : tensor<?x16xf32>, tensor<?x16xf32>) outs(%z : tensor<?x?xf32>) -> tensor<?x?xf32>
  %c = arith.constant 0.25 : f32
  %cs = tensor.splat %c[%sq, %sk] : tensor<?x?xf32>
  %ss = arith.mulf %s, %cs : tensor<?x?xf32>
  %p = linalg.softmax dimension(1) ins(%ss : tensor<?x?xf32>) outs(%e : tensor<?x?xf32>) -> tensor<?x?xf32>
  %eo = tensor.empty(%sq) : tensor<?x8xf32>
  %zo = linalg.fill ins(%zero : f32) outs(%eo : tensor<?x8xf32>) -> tensor<?x8xf32>
  %o = linalg.matmul ins(%p, %v : tensor<?x?xf32>, tensor<?x8xf32>) outs(%zo : tensor<?x8xf32>) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}
