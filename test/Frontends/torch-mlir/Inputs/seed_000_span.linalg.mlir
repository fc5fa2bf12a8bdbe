#map = affine_map<(d0) -> (d0)>
#map1 = affine_map<(d0, d1) -> (d1)>
#map2 = affine_map<(d0, d1) -> ()>
#map3 = affine_map<(d0, d1) -> (d0, d1)>
#map4 = affine_map<(d0, d1) -> (d0)>
#map5 = affine_map<(d0, d1) -> (d0, 0)>
module {
  func.func @main(%arg0: tensor<10x64xf32>, %arg1: tensor<10xi1>) -> tensor<10x64xf32> {
    %cst = arith.constant 0.000000e+00 : f32
    %true = arith.constant true
    %c0_i64 = arith.constant 0 : i64
    %cst_0 = arith.constant 0xFF800000 : f32
    %cst_1 = arith.constant dense<0xFF800000> : tensor<f32>
    %0 = tensor.empty() : tensor<64x10xf32>
    %transposed = linalg.transpose ins(%arg0 : tensor<10x64xf32>) outs(%0 : tensor<64x10xf32>) permutation = [1, 0] 
    %1 = tensor.empty() : tensor<10x10xf32>
    %2 = linalg.fill ins(%cst : f32) outs(%1 : tensor<10x10xf32>) -> tensor<10x10xf32>
    %3 = linalg.matmul ins(%arg0, %transposed : tensor<10x64xf32>, tensor<64x10xf32>) outs(%2 : tensor<10x10xf32>) -> tensor<10x10xf32>
    %4 = tensor.empty() : tensor<10xi1>
    %5 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%arg1 : tensor<10xi1>) outs(%4 : tensor<10xi1>) {
    ^bb0(%in: i1, %out: i1):
      %21 = arith.xori %in, %true : i1
      linalg.yield %21 : i1
    } -> tensor<10xi1>
    %6 = linalg.generic {indexing_maps = [#map1, #map2, #map3, #map3], iterator_types = ["parallel", "parallel"]} ins(%5, %cst_1, %3 : tensor<10xi1>, tensor<f32>, tensor<10x10xf32>) outs(%1 : tensor<10x10xf32>) {
    ^bb0(%in: i1, %in_2: f32, %in_3: f32, %out: f32):
      %21 = arith.select %in, %in_2, %in_3 : f32
      linalg.yield %21 : f32
    } -> tensor<10x10xf32>
    %7 = tensor.empty() : tensor<10xi64>
    %8 = linalg.fill ins(%c0_i64 : i64) outs(%7 : tensor<10xi64>) -> tensor<10xi64>
    %9 = tensor.empty() : tensor<10xf32>
    %10 = linalg.fill ins(%cst_0 : f32) outs(%9 : tensor<10xf32>) -> tensor<10xf32>
    %11:2 = linalg.generic {indexing_maps = [#map3, #map4, #map4], iterator_types = ["parallel", "reduction"]} ins(%6 : tensor<10x10xf32>) outs(%10, %8 : tensor<10xf32>, tensor<10xi64>) {
    ^bb0(%in: f32, %out: f32, %out_2: i64):
      %21 = linalg.index 1 : index
      %22 = arith.index_cast %21 : index to i64
      %23 = arith.maximumf %in, %out : f32
      %24 = arith.cmpf ogt, %in, %out : f32
      %25 = arith.select %24, %22, %out_2 : i64
      linalg.yield %23, %25 : f32, i64
    } -> (tensor<10xf32>, tensor<10xi64>)
    %expanded = tensor.expand_shape %11#0 [[0, 1]] output_shape [10, 1] : tensor<10xf32> into tensor<10x1xf32>
    %12 = linalg.generic {indexing_maps = [#map3, #map5, #map3], iterator_types = ["parallel", "parallel"]} ins(%6, %expanded : tensor<10x10xf32>, tensor<10x1xf32>) outs(%1 : tensor<10x10xf32>) {
    ^bb0(%in: f32, %in_2: f32, %out: f32):
      %21 = arith.subf %in, %in_2 : f32
      linalg.yield %21 : f32
    } -> tensor<10x10xf32>
    %13 = linalg.generic {indexing_maps = [#map3, #map3], iterator_types = ["parallel", "parallel"]} ins(%12 : tensor<10x10xf32>) outs(%1 : tensor<10x10xf32>) {
    ^bb0(%in: f32, %out: f32):
      %21 = math.exp %in : f32
      linalg.yield %21 : f32
    } -> tensor<10x10xf32>
    %14 = tensor.empty() : tensor<10x1xf32>
    %15 = linalg.fill ins(%cst : f32) outs(%14 : tensor<10x1xf32>) -> tensor<10x1xf32>
    %16 = linalg.generic {indexing_maps = [#map3, #map5], iterator_types = ["parallel", "reduction"]} ins(%13 : tensor<10x10xf32>) outs(%15 : tensor<10x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %21 = arith.addf %in, %out : f32
      linalg.yield %21 : f32
    } -> tensor<10x1xf32>
    %17 = linalg.generic {indexing_maps = [#map3, #map5, #map3], iterator_types = ["parallel", "parallel"]} ins(%13, %16 : tensor<10x10xf32>, tensor<10x1xf32>) outs(%1 : tensor<10x10xf32>) {
    ^bb0(%in: f32, %in_2: f32, %out: f32):
      %21 = arith.divf %in, %in_2 : f32
      linalg.yield %21 : f32
    } -> tensor<10x10xf32>
    %18 = tensor.empty() : tensor<10x64xf32>
    %19 = linalg.fill ins(%cst : f32) outs(%18 : tensor<10x64xf32>) -> tensor<10x64xf32>
    %20 = linalg.matmul ins(%17, %arg0 : tensor<10x10xf32>, tensor<10x64xf32>) outs(%19 : tensor<10x64xf32>) -> tensor<10x64xf32>
    return %20 : tensor<10x64xf32>
  }
}
