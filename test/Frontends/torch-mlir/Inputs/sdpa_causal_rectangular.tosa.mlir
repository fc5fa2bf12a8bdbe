module {
  func.func @main(%arg0: tensor<1x2x4x16xf32>, %arg1: tensor<1x2x8x16xf32>, %arg2: tensor<1x2x8x16xf32>) -> tensor<1x2x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x2x4x8xf32>}> : () -> tensor<1x2x4x8xf32>
    %1 = "tosa.const"() <{values = dense<true> : tensor<4x8xi1>}> : () -> tensor<4x8xi1>
    %2 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %3 = tosa.const_shape  {values = dense<[2, 4, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %4 = tosa.const_shape  {values = dense<[2, 16, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %5 = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
    %6 = tosa.const_shape  {values = dense<[1, 2, 4, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %7 = tosa.const_shape  {values = dense<[1, 1, 4, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %8 = tosa.const_shape  {values = dense<[2, 4, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %9 = tosa.const_shape  {values = dense<[2, 8, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %10 = tosa.const_shape  {values = dense<[1, 2, 4, 16]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %11 = "tosa.const"() <{values = dense<5.000000e-01> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %12 = "tosa.const"() <{values = dense<[[0, 1, 2, 3, 4, 5, 6, 7]]> : tensor<1x8xi64>}> : () -> tensor<1x8xi64>
    %13 = "tosa.const"() <{values = dense<[[0], [1], [2], [3]]> : tensor<4x1xi64>}> : () -> tensor<4x1xi64>
    %14 = "tosa.const"() <{values = dense<0> : tensor<1x1xi64>}> : () -> tensor<1x1xi64>
    %15 = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
    %16 = "tosa.const"() <{values = dense<0xFF800000> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
    %17 = "tosa.const"() <{values = dense<0xFFF0000000000000> : tensor<1x1x1x1xf64>}> : () -> tensor<1x1x1x1xf64>
    %18 = tosa.mul %arg0, %11, %2 : (tensor<1x2x4x16xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x2x4x16xf32>
    %19 = tosa.cast %13 : (tensor<4x1xi64>) -> tensor<4x1xi32>
    %20 = tosa.cast %12 : (tensor<1x8xi64>) -> tensor<1x8xi32>
    %21 = tosa.sub %20, %19 : (tensor<1x8xi32>, tensor<4x1xi32>) -> tensor<4x8xi32>
    %22 = tosa.cast %21 : (tensor<4x8xi32>) -> tensor<4x8xi64>
    %23 = tosa.greater_equal %14, %22 : (tensor<1x1xi64>, tensor<4x8xi64>) -> tensor<4x8xi1>
    %24 = tosa.logical_and %23, %1 : (tensor<4x8xi1>, tensor<4x8xi1>) -> tensor<4x8xi1>
    %25 = tosa.select %24, %15, %16 : (tensor<4x8xi1>, tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<4x8xf32>
    %26 = tosa.transpose %arg1 {perms = array<i32: 0, 1, 3, 2>} : (tensor<1x2x8x16xf32>) -> tensor<1x2x16x8xf32>
    %27 = tosa.mul %26, %11, %2 : (tensor<1x2x16x8xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x2x16x8xf32>
    %28 = tosa.reshape %18, %3 : (tensor<1x2x4x16xf32>, !tosa.shape<3>) -> tensor<2x4x16xf32>
    %29 = tosa.reshape %27, %4 : (tensor<1x2x16x8xf32>, !tosa.shape<3>) -> tensor<2x16x8xf32>
    %30 = tosa.matmul %28, %29, %5, %5 : (tensor<2x4x16xf32>, tensor<2x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x8xf32>
    %31 = tosa.reshape %30, %6 : (tensor<2x4x8xf32>, !tosa.shape<4>) -> tensor<1x2x4x8xf32>
    %32 = tosa.reshape %25, %7 : (tensor<4x8xf32>, !tosa.shape<4>) -> tensor<1x1x4x8xf32>
    %33 = tosa.add %31, %32 : (tensor<1x2x4x8xf32>, tensor<1x1x4x8xf32>) -> tensor<1x2x4x8xf32>
    %34 = tosa.reduce_max %33 {axis = 3 : i32} : (tensor<1x2x4x8xf32>) -> tensor<1x2x4x1xf32>
    %35 = tosa.sub %33, %34 : (tensor<1x2x4x8xf32>, tensor<1x2x4x1xf32>) -> tensor<1x2x4x8xf32>
    %36 = tosa.exp %35 : (tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
    %37 = tosa.reduce_sum %36 {axis = 3 : i32} : (tensor<1x2x4x8xf32>) -> tensor<1x2x4x1xf32>
    %38 = tosa.reciprocal %37 : (tensor<1x2x4x1xf32>) -> tensor<1x2x4x1xf32>
    %39 = tosa.mul %36, %38, %2 : (tensor<1x2x4x8xf32>, tensor<1x2x4x1xf32>, tensor<1xi8>) -> tensor<1x2x4x8xf32>
    %40 = tosa.cast %33 : (tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf64>
    %41 = tosa.equal %40, %17 : (tensor<1x2x4x8xf64>, tensor<1x1x1x1xf64>) -> tensor<1x2x4x8xi1>
    %42 = tosa.reduce_all %41 {axis = 3 : i32} : (tensor<1x2x4x8xi1>) -> tensor<1x2x4x1xi1>
    %43 = tosa.select %42, %0, %39 : (tensor<1x2x4x1xi1>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
    %44 = tosa.reshape %43, %8 : (tensor<1x2x4x8xf32>, !tosa.shape<3>) -> tensor<2x4x8xf32>
    %45 = tosa.reshape %arg2, %9 : (tensor<1x2x8x16xf32>, !tosa.shape<3>) -> tensor<2x8x16xf32>
    %46 = tosa.matmul %44, %45, %5, %5 : (tensor<2x4x8xf32>, tensor<2x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x16xf32>
    %47 = tosa.reshape %46, %10 : (tensor<2x4x16xf32>, !tosa.shape<4>) -> tensor<1x2x4x16xf32>
    return %47 : tensor<1x2x4x16xf32>
  }
}
