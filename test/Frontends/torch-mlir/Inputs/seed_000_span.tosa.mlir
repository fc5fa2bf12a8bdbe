module {
  func.func @main(%arg0: tensor<10x64xf32>, %arg1: tensor<10xi1>) -> tensor<10x64xf32> {
    %0 = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
    %1 = tosa.const_shape  {values = dense<[1, 10, 64]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %2 = tosa.const_shape  {values = dense<[1, 64, 10]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %3 = tosa.const_shape  {values = dense<10> : tensor<2xindex>} : () -> !tosa.shape<2>
    %4 = tosa.const_shape  {values = dense<[1, 10]> : tensor<2xindex>} : () -> !tosa.shape<2>
    %5 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %6 = tosa.const_shape  {values = dense<[1, 10, 10]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %7 = tosa.const_shape  {values = dense<[10, 64]> : tensor<2xindex>} : () -> !tosa.shape<2>
    %8 = "tosa.const"() <{values = dense<0xFF800000> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
    %9 = tosa.transpose %arg0 {perms = array<i32: 1, 0>} : (tensor<10x64xf32>) -> tensor<64x10xf32>
    %10 = tosa.reshape %arg0, %1 : (tensor<10x64xf32>, !tosa.shape<3>) -> tensor<1x10x64xf32>
    %11 = tosa.reshape %9, %2 : (tensor<64x10xf32>, !tosa.shape<3>) -> tensor<1x64x10xf32>
    %12 = tosa.matmul %10, %11, %0, %0 : (tensor<1x10x64xf32>, tensor<1x64x10xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x10x10xf32>
    %13 = tosa.reshape %12, %3 : (tensor<1x10x10xf32>, !tosa.shape<2>) -> tensor<10x10xf32>
    %14 = tosa.logical_not %arg1 : (tensor<10xi1>) -> tensor<10xi1>
    %15 = tosa.reshape %14, %4 : (tensor<10xi1>, !tosa.shape<2>) -> tensor<1x10xi1>
    %16 = tosa.select %15, %8, %13 : (tensor<1x10xi1>, tensor<1x1xf32>, tensor<10x10xf32>) -> tensor<10x10xf32>
    %17 = tosa.reduce_max %16 {axis = 1 : i32} : (tensor<10x10xf32>) -> tensor<10x1xf32>
    %18 = tosa.sub %16, %17 : (tensor<10x10xf32>, tensor<10x1xf32>) -> tensor<10x10xf32>
    %19 = tosa.exp %18 : (tensor<10x10xf32>) -> tensor<10x10xf32>
    %20 = tosa.reduce_sum %19 {axis = 1 : i32} : (tensor<10x10xf32>) -> tensor<10x1xf32>
    %21 = tosa.reciprocal %20 : (tensor<10x1xf32>) -> tensor<10x1xf32>
    %22 = tosa.mul %19, %21, %5 : (tensor<10x10xf32>, tensor<10x1xf32>, tensor<1xi8>) -> tensor<10x10xf32>
    %23 = tosa.reshape %22, %6 : (tensor<10x10xf32>, !tosa.shape<3>) -> tensor<1x10x10xf32>
    %24 = tosa.matmul %23, %10, %0, %0 : (tensor<1x10x10xf32>, tensor<1x10x64xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x10x64xf32>
    %25 = tosa.reshape %24, %7 : (tensor<1x10x64xf32>, !tosa.shape<2>) -> tensor<10x64xf32>
    return %25 : tensor<10x64xf32>
  }
}
