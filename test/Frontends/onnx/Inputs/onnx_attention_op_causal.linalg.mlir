#map = affine_map<(d0) -> (d0)>
#map1 = affine_map<(d0, d1) -> (d0, d1)>
#map2 = affine_map<(d0, d1) -> (d1)>
#map3 = affine_map<(d0, d1) -> (d0, 0)>
#map4 = affine_map<(d0, d1) -> (0, d1)>
#map5 = affine_map<(d0, d1) -> (0)>
#map6 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#map7 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
#map8 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map9 = affine_map<(d0, d1, d2, d3) -> (0)>
#map10 = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#map11 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#map12 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
#map13 = affine_map<(d0, d1) -> (d0)>
#map14 = affine_map<(d0, d1, d2, d3) -> (d2, 0)>
module {
  func.func @attention(%arg0: tensor<1x2x8x16xf32>, %arg1: tensor<1x2x8x16xf32>, %arg2: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
    %c0_i64 = arith.constant 0 : i64
    %cst = arith.constant 0.000000e+00 : f32
    %cst_0 = arith.constant 0xFF800000 : f32
    %cst_1 = arith.constant dense<0.000000e+00> : tensor<8x8xf32>
    %cst_2 = arith.constant dense<0.000000e+00> : tensor<1xf32>
    %cst_3 = arith.constant dense<0xFF800000> : tensor<1xf32>
    %cst_4 = arith.constant dense<1.000000e+00> : tensor<1xf32>
    %cst_5 = arith.constant dense<1.600000e+01> : tensor<1xf32>
    %cst_6 = arith.constant dense<0> : tensor<1xi64>
    %0 = tensor.empty() : tensor<1xf32>
    %1 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%cst_5 : tensor<1xf32>) outs(%0 : tensor<1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %46 = math.sqrt %in : f32
      linalg.yield %46 : f32
    } -> tensor<1xf32>
    %2 = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]} ins(%cst_4, %1 : tensor<1xf32>, tensor<1xf32>) outs(%0 : tensor<1xf32>) {
    ^bb0(%in: f32, %in_16: f32, %out: f32):
      %46 = arith.divf %in, %in_16 : f32
      linalg.yield %46 : f32
    } -> tensor<1xf32>
    %3 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%2 : tensor<1xf32>) outs(%0 : tensor<1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %46 = math.sqrt %in : f32
      linalg.yield %46 : f32
    } -> tensor<1xf32>
    %4 = tensor.empty() : tensor<8xi64>
    %5 = linalg.generic {indexing_maps = [#map], iterator_types = ["parallel"]} outs(%4 : tensor<8xi64>) {
    ^bb0(%out: i64):
      %46 = linalg.index 0 : index
      %47 = arith.index_cast %46 : index to i64
      linalg.yield %47 : i64
    } -> tensor<8xi64>
    %expanded = tensor.expand_shape %5 [[0, 1]] output_shape [8, 1] : tensor<8xi64> into tensor<8x1xi64>
    %expanded_7 = tensor.expand_shape %5 [[0, 1]] output_shape [1, 8] : tensor<8xi64> into tensor<1x8xi64>
    %6 = tensor.empty() : tensor<8x1xi64>
    %7 = linalg.generic {indexing_maps = [#map1, #map2, #map1], iterator_types = ["parallel", "parallel"]} ins(%expanded, %cst_6 : tensor<8x1xi64>, tensor<1xi64>) outs(%6 : tensor<8x1xi64>) {
    ^bb0(%in: i64, %in_16: i64, %out: i64):
      %46 = arith.addi %in, %in_16 : i64
      linalg.yield %46 : i64
    } -> tensor<8x1xi64>
    %8 = tensor.empty() : tensor<8x8xi1>
    %9 = linalg.generic {indexing_maps = [#map3, #map4, #map1], iterator_types = ["parallel", "parallel"]} ins(%7, %expanded_7 : tensor<8x1xi64>, tensor<1x8xi64>) outs(%8 : tensor<8x8xi1>) {
    ^bb0(%in: i64, %in_16: i64, %out: i1):
      %46 = arith.cmpi slt, %in, %in_16 : i64
      linalg.yield %46 : i1
    } -> tensor<8x8xi1>
    %10 = tensor.empty() : tensor<8x8xf32>
    %11 = linalg.generic {indexing_maps = [#map1, #map5, #map5, #map1], iterator_types = ["parallel", "parallel"]} ins(%9, %cst_3, %cst_2 : tensor<8x8xi1>, tensor<1xf32>, tensor<1xf32>) outs(%10 : tensor<8x8xf32>) {
    ^bb0(%in: i1, %in_16: f32, %in_17: f32, %out: f32):
      %46 = arith.select %in, %in_16, %in_17 : f32
      linalg.yield %46 : f32
    } -> tensor<8x8xf32>
    %12 = linalg.generic {indexing_maps = [#map1, #map1, #map1], iterator_types = ["parallel", "parallel"]} ins(%cst_1, %11 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%10 : tensor<8x8xf32>) {
    ^bb0(%in: f32, %in_16: f32, %out: f32):
      %46 = arith.addf %in, %in_16 : f32
      linalg.yield %46 : f32
    } -> tensor<8x8xf32>
    %13 = tensor.empty() : tensor<1x2x1x8x16xf32>
    %14 = linalg.generic {indexing_maps = [#map6, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%arg1 : tensor<1x2x8x16xf32>) outs(%13 : tensor<1x2x1x8x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    } -> tensor<1x2x1x8x16xf32>
    %15 = linalg.generic {indexing_maps = [#map6, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%arg2 : tensor<1x2x8x16xf32>) outs(%13 : tensor<1x2x1x8x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    } -> tensor<1x2x1x8x16xf32>
    %collapsed = tensor.collapse_shape %14 [[0], [1], [2, 3], [4]] : tensor<1x2x1x8x16xf32> into tensor<1x2x8x16xf32>
    %16 = tensor.empty() : tensor<1x2x16x8xf32>
    %transposed = linalg.transpose ins(%collapsed : tensor<1x2x8x16xf32>) outs(%16 : tensor<1x2x16x8xf32>) permutation = [0, 1, 3, 2] 
    %17 = tensor.empty() : tensor<1x2x8x16xf32>
    %18 = linalg.generic {indexing_maps = [#map8, #map9, #map8], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg0, %3 : tensor<1x2x8x16xf32>, tensor<1xf32>) outs(%17 : tensor<1x2x8x16xf32>) {
    ^bb0(%in: f32, %in_16: f32, %out: f32):
      %46 = arith.mulf %in, %in_16 : f32
      linalg.yield %46 : f32
    } -> tensor<1x2x8x16xf32>
    %19 = linalg.generic {indexing_maps = [#map8, #map9, #map8], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%transposed, %3 : tensor<1x2x16x8xf32>, tensor<1xf32>) outs(%16 : tensor<1x2x16x8xf32>) {
    ^bb0(%in: f32, %in_16: f32, %out: f32):
      %46 = arith.mulf %in, %in_16 : f32
      linalg.yield %46 : f32
    } -> tensor<1x2x16x8xf32>
    %collapsed_8 = tensor.collapse_shape %18 [[0, 1], [2], [3]] : tensor<1x2x8x16xf32> into tensor<2x8x16xf32>
    %collapsed_9 = tensor.collapse_shape %19 [[0, 1], [2], [3]] : tensor<1x2x16x8xf32> into tensor<2x16x8xf32>
    %20 = tensor.empty() : tensor<2x8x8xf32>
    %21 = linalg.fill ins(%cst : f32) outs(%20 : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
    %22 = linalg.batch_matmul ins(%collapsed_8, %collapsed_9 : tensor<2x8x16xf32>, tensor<2x16x8xf32>) outs(%21 : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
    %expanded_10 = tensor.expand_shape %22 [[0, 1], [2], [3]] output_shape [1, 2, 8, 8] : tensor<2x8x8xf32> into tensor<1x2x8x8xf32>
    %23 = tensor.empty() : tensor<1x2x8x8xf32>
    %24 = linalg.generic {indexing_maps = [#map8, #map10, #map8], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%expanded_10, %12 : tensor<1x2x8x8xf32>, tensor<8x8xf32>) outs(%23 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %in_16: f32, %out: f32):
      %46 = arith.addf %in, %in_16 : f32
      linalg.yield %46 : f32
    } -> tensor<1x2x8x8xf32>
    %25 = tensor.empty() : tensor<1x2x8xi64>
    %26 = linalg.fill ins(%c0_i64 : i64) outs(%25 : tensor<1x2x8xi64>) -> tensor<1x2x8xi64>
    %27 = tensor.empty() : tensor<1x2x8xf32>
    %28 = linalg.fill ins(%cst_0 : f32) outs(%27 : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
    %29:2 = linalg.generic {indexing_maps = [#map8, #map11, #map11], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%24 : tensor<1x2x8x8xf32>) outs(%28, %26 : tensor<1x2x8xf32>, tensor<1x2x8xi64>) {
    ^bb0(%in: f32, %out: f32, %out_16: i64):
      %46 = linalg.index 3 : index
      %47 = arith.index_cast %46 : index to i64
      %48 = arith.maximumf %in, %out : f32
      %49 = arith.cmpf ogt, %in, %out : f32
      %50 = arith.select %49, %47, %out_16 : i64
      linalg.yield %48, %50 : f32, i64
    } -> (tensor<1x2x8xf32>, tensor<1x2x8xi64>)
    %expanded_11 = tensor.expand_shape %29#0 [[0], [1], [2, 3]] output_shape [1, 2, 8, 1] : tensor<1x2x8xf32> into tensor<1x2x8x1xf32>
    %30 = linalg.generic {indexing_maps = [#map8, #map12, #map8], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%24, %expanded_11 : tensor<1x2x8x8xf32>, tensor<1x2x8x1xf32>) outs(%23 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %in_16: f32, %out: f32):
      %46 = arith.subf %in, %in_16 : f32
      linalg.yield %46 : f32
    } -> tensor<1x2x8x8xf32>
    %31 = linalg.generic {indexing_maps = [#map8, #map8], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%30 : tensor<1x2x8x8xf32>) outs(%23 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %46 = math.exp %in : f32
      linalg.yield %46 : f32
    } -> tensor<1x2x8x8xf32>
    %32 = tensor.empty() : tensor<1x2x8x1xf32>
    %33 = linalg.fill ins(%cst : f32) outs(%32 : tensor<1x2x8x1xf32>) -> tensor<1x2x8x1xf32>
    %34 = linalg.generic {indexing_maps = [#map8, #map12], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%31 : tensor<1x2x8x8xf32>) outs(%33 : tensor<1x2x8x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %46 = arith.addf %in, %out : f32
      linalg.yield %46 : f32
    } -> tensor<1x2x8x1xf32>
    %35 = linalg.generic {indexing_maps = [#map8, #map12, #map8], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%31, %34 : tensor<1x2x8x8xf32>, tensor<1x2x8x1xf32>) outs(%23 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %in_16: f32, %out: f32):
      %46 = arith.divf %in, %in_16 : f32
      linalg.yield %46 : f32
    } -> tensor<1x2x8x8xf32>
    %36 = linalg.fill ins(%c0_i64 : i64) outs(%4 : tensor<8xi64>) -> tensor<8xi64>
    %37 = tensor.empty() : tensor<8xf32>
    %38 = linalg.fill ins(%cst_0 : f32) outs(%37 : tensor<8xf32>) -> tensor<8xf32>
    %39:2 = linalg.generic {indexing_maps = [#map1, #map13, #map13], iterator_types = ["parallel", "reduction"]} ins(%12 : tensor<8x8xf32>) outs(%38, %36 : tensor<8xf32>, tensor<8xi64>) {
    ^bb0(%in: f32, %out: f32, %out_16: i64):
      %46 = linalg.index 1 : index
      %47 = arith.index_cast %46 : index to i64
      %48 = arith.maximumf %in, %out : f32
      %49 = arith.cmpf ogt, %in, %out : f32
      %50 = arith.select %49, %47, %out_16 : i64
      linalg.yield %48, %50 : f32, i64
    } -> (tensor<8xf32>, tensor<8xi64>)
    %expanded_12 = tensor.expand_shape %39#0 [[0, 1]] output_shape [8, 1] : tensor<8xf32> into tensor<8x1xf32>
    %40 = tensor.empty() : tensor<8x1xi1>
    %41 = linalg.generic {indexing_maps = [#map1, #map2, #map1], iterator_types = ["parallel", "parallel"]} ins(%expanded_12, %cst_3 : tensor<8x1xf32>, tensor<1xf32>) outs(%40 : tensor<8x1xi1>) {
    ^bb0(%in: f32, %in_16: f32, %out: i1):
      %46 = arith.cmpf oeq, %in, %in_16 : f32
      linalg.yield %46 : i1
    } -> tensor<8x1xi1>
    %42 = linalg.generic {indexing_maps = [#map14, #map9, #map8, #map8], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%41, %cst_2, %35 : tensor<8x1xi1>, tensor<1xf32>, tensor<1x2x8x8xf32>) outs(%23 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: i1, %in_16: f32, %in_17: f32, %out: f32):
      %46 = arith.select %in, %in_16, %in_17 : f32
      linalg.yield %46 : f32
    } -> tensor<1x2x8x8xf32>
    %collapsed_13 = tensor.collapse_shape %42 [[0, 1], [2], [3]] : tensor<1x2x8x8xf32> into tensor<2x8x8xf32>
    %collapsed_14 = tensor.collapse_shape %15 [[0, 1], [2, 3], [4]] : tensor<1x2x1x8x16xf32> into tensor<2x8x16xf32>
    %43 = tensor.empty() : tensor<2x8x16xf32>
    %44 = linalg.fill ins(%cst : f32) outs(%43 : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
    %45 = linalg.batch_matmul ins(%collapsed_13, %collapsed_14 : tensor<2x8x8xf32>, tensor<2x8x16xf32>) outs(%44 : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
    %expanded_15 = tensor.expand_shape %45 [[0, 1], [2], [3]] output_shape [1, 2, 8, 16] : tensor<2x8x16xf32> into tensor<1x2x8x16xf32>
    return %expanded_15 : tensor<1x2x8x16xf32>
  }
}
