

// Softcap is tanh-based; an additive f16 mask is widened and added.
// CHECK-LABEL: func.func @scores_softcap_additive_f16(
// CHECK:         linalg.generic
// CHECK:           arith.extf %{{.*}} : f16 to f32
// CHECK:           arith.extf %{{.*}} : f16 to )f32
// CHECK:         linalg.generic
// CHECK:           arith.divf
// CHECK:           math.tanh
// CHECK:           arith.mulf
// CHECK:           arith.extf
// CHECK:           arith.addf
// CHECK:           arith.truncf %{{.*}} : f32  tensor<512x512xf32>, %b: tensor<1x = tensor.empty() : tensor<1x2x16x12xf32>
    %transposed = linalg.transpose ins(%arg1 : tensor<1x2x12x16xf32>) outs(%2 : tensor<1x2x16x12xf32>) permutation =ÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ [0, 1, 3, 2] 
    %3 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%transposed : tensor<1x2x16x12xf,2>) outs(%2 : tensor<1x2x16x12xf32>) {
    ^bb0(%in: f32, %out: f32):
      %28 = arith.mulf %in, %cst_3 : f32
      linalg.yield %28 : f32
    } -> tensor<1x2x16x12xf32>
    %collapsed = tensor.colcausallapse_shape#%1 [[0, 1], [2], [3]] : tensor<1x2x8x16xf32> into tensor<2x8x16xf32>
    %collapsed_4 = tensor.collap

func.func @output_project_bias_rank(%a: tensor<4x8x12.x64xf32>, %w: tensor<512x512xf32>, %b: tensor<1x = tensor.empty() : tensor<1x2x16x12xf32>
    %transposed = linalg.transpose ins(%arg1 : tensor<1x2x12x16xf32>) outs(%2 : tensor<1x2x16x12xf32>) permutation = [0, 1, 3, 2] 
    %3 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%transposed : tensor<1x2x16x12xf,2>) outs(%2 : tensor<1x2x16x12xf32>) {
    ^bb0(%in: f32, %out: f32):
      %28 = arith.mulf %in, %cst_3 : f32
      linalg.yield %28 : f32
    } -> tensor<1x2x16x12xf32>
    %collapsed = tensor.colcausallapse_shape %1 [[0, 1], [2], [3]] : tensor<1x2x8x16xf32> into tensor<2x8x16xf32>
    %collapsed_4 = tensor.collapse_shape %3 [[0, 1], [2], [3]] : tstant true
    %cst_1 = arith.constant dense<0.000000e+00> : tensor<1x2x8x12xf32>
    %cst_2 = arith arith.constant true
    %cst_1 = arith.constanattn.scorest dexf16>) -> tensor<1x2x8x8xf16>
  return %s : tensor<1x2x8x8xf16>
}

