module {
  func.func @main(%arg0: tensor<1x2x8x16xf32>, %arg1: tensor<1x2x8x16xf32>, %arg2: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
    %0 = tosa.const_shape  {values = dense<[2, 8, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %1 = tosa.const_shape  {values = dense<[2, 16, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %2 = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
    %3 = tosa.const_shape  {values = dense<[1, 2, 8, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %4 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %5 = tosa.const_shape  {values = dense<[2, 8, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %6 = tosa.const_shape  {values = dense<[1, 2, 8, 16]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %7 = tosa.transpose %arg1 {perms = array<i32: 0, 1, 3, 2>} : (tensor<1x2x8x16xf32>) -> tensor<1x2x16x8xf32>
    %8 = tosa.reshape %arg0, %0 : (tensor<1x2x8x16xf32>, !tosa.shape<3>) -> tensor<2x8x16xf32>
    %9 = tosa.reshape %7, %1 : (tensor<1x2x16x8xf32>, !tosa.shape<3>) -> tensor<2x16x8xf32>
    %10 = tosa.matmul %8, %9, %2, %2 : (tensor<2x8x16xf32>, tensor<2x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x8x8xf32>
    %11 = tosa.reshape %10, %3 : (tensor<2x8x8xf32>, !tosa.shape<4>) -> tensor<1x2x8x8xf32>
    %12 = tosa.reduce_max %11 {axis = 2 : i32} : (tensor<1x2x8x8xf32>) -> tensor<1x2x1x8xf32>
    %13 = tosa.sub %11, %12 : (tensor<1x2x8x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x8x8xf32>
    %14 = tosa.exp %13 : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
    %15 = tosa.reduce_sum %14 {axis = 2 : i32} : (tensor<1x2x8x8xf32>) -> tensor<1x2x1x8xf32>
    %16 = tosa.reciprocal %15 : (tensor<1x2x1x8xf32>) -> tensor<1x2x1x8xf32>
    %17 = tosa.mul %14, %16, %4 : (tensor<1x2x8x8xf32>, tensor<1x2x1x8xf32>, tensor<1xi8>) -> tensor<1x2x8x8xf32>
    %18 = tosa.reshape %17, %5 : (tensor<1x2x8x8xf32>, !tosa.shape<3>) -> tensor<2x8x8xf32>
    %19 = tosa.reshape %arg2, %0 : (tensor<1x2x8x16xf32>, !tosa.shape<3>) -> tensor<2x8x16xf32>
    %20 = tosa.matmul %18, %19, %2, %2 : (tensor<2x8x8xf32>, tensor<2x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x8x16xf32>
    %21 = tosa.reshape %20, %6 : (tensor<2x8x16xf32>, !tosa.shape<4>) -> tensor<1x2x8x16xf32>
    return %21 : tensor<1x2x8x16xf32>
  }
}
