module {
  func.func @main(%arg0: tensor<1x2x8x16xf32>, %arg1: tensor<1x2x8x16xf32>, %arg2: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
    %0 = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x2x8x8xf32>}> : () -> tensor<1x2x8x8xf32>
    %1 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %2 = tosa.const_shape  {values = dense<[2, 8, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %3 = tosa.const_shape  {values = dense<[2, 16, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %4 = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
    %5 = tosa.const_shape  {values = dense<[1, 2, 8, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %6 = tosa.const_shape  {values = dense<[2, 8, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %7 = tosa.const_shape  {values = dense<[1, 2, 8, 16]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %8 = "tosa.const"() <{values = dense<0.547722578> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %9 = "tosa.const"() <{values = dense<0xFFF0000000000000> : tensor<1x1x1x1xf64>}> : () -> tensor<1x1x1x1xf64>
    %10 = tosa.mul %arg0, %8, %1 : (tensor<1x2x8x16xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x2x8x16xf32>
    %11 = tosa.transpose %arg1 {perms = array<i32: 0, 1, 3, 2>} : (tensor<1x2x8x16xf32>) -> tensor<1x2x16x8xf32>
    %12 = tosa.mul %11, %8, %1 : (tensor<1x2x16x8xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x2x16x8xf32>
    %13 = tosa.reshape %10, %2 : (tensor<1x2x8x16xf32>, !tosa.shape<3>) -> tensor<2x8x16xf32>
    %14 = tosa.reshape %12, %3 : (tensor<1x2x16x8xf32>, !tosa.shape<3>) -> tensor<2x16x8xf32>
    %15 = tosa.matmul %13, %14, %4, %4 : (tensor<2x8x16xf32>, tensor<2x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x8x8xf32>
    %16 = tosa.reshape %15, %5 : (tensor<2x8x8xf32>, !tosa.shape<4>) -> tensor<1x2x8x8xf32>
    %17 = tosa.reduce_max %16 {axis = 3 : i32} : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x1xf32>
    %18 = tosa.sub %16, %17 : (tensor<1x2x8x8xf32>, tensor<1x2x8x1xf32>) -> tensor<1x2x8x8xf32>
    %19 = tosa.exp %18 : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
    %20 = tosa.reduce_sum %19 {axis = 3 : i32} : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x1xf32>
    %21 = tosa.reciprocal %20 : (tensor<1x2x8x1xf32>) -> tensor<1x2x8x1xf32>
    %22 = tosa.mul %19, %21, %1 : (tensor<1x2x8x8xf32>, tensor<1x2x8x1xf32>, tensor<1xi8>) -> tensor<1x2x8x8xf32>
    %23 = tosa.cast %16 : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf64>
    %24 = tosa.equal %23, %9 : (tensor<1x2x8x8xf64>, tensor<1x1x1x1xf64>) -> tensor<1x2x8x8xi1>
    %25 = tosa.reduce_all %24 {axis = 3 : i32} : (tensor<1x2x8x8xi1>) -> tensor<1x2x8x1xi1>
    %26 = tosa.select %25, %0, %22 : (tensor<1x2x8x1xi1>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
    %27 = tosa.reshape %26, %6 : (tensor<1x2x8x8xf32>, !tosa.shape<3>) -> tensor<2x8x8xf32>
    %28 = tosa.reshape %arg2, %2 : (tensor<1x2x8x16xf32>, !tosa.shape<3>) -> tensor<2x8x16xf32>
    %29 = tosa.matmul %27, %28, %4, %4 : (tensor<2x8x8xf32>, tensor<2x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x8x16xf32>
    %30 = tosa.reshape %29, %7 : (tensor<2x8x16xf32>, !tosa.shape<4>) -> tensor<1x2x8x16xf32>
    return %30 : tensor<1x2x8x16xf32>
  }
}
