module {
  func.func @attention(%arg0: tensor<1x2x8x16xf32>, %arg1: tensor<1x2x8x16xf32>, %arg2: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
    %0 = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
    %1 = "tosa.const"() <{values = dense<1.600000e+01> : tensor<1xf32>}> : () -> tensor<1xf32>
    %2 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %3 = "tosa.const"() <{values = dense<[0, 1, 2, 3, 4, 5, 6, 7]> : tensor<8xi64>}> : () -> tensor<8xi64>
    %4 = tosa.const_shape  {values = dense<[8, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
    %5 = tosa.const_shape  {values = dense<[1, 8]> : tensor<2xindex>} : () -> !tosa.shape<2>
    %6 = tosa.const_shape  {values = dense<[1, 2, 8, 16]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %7 = tosa.const_shape  {values = dense<1> : tensor<4xindex>} : () -> !tosa.shape<4>
    %8 = tosa.const_shape  {values = dense<[2, 8, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %9 = tosa.const_shape  {values = dense<[2, 16, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %10 = tosa.const_shape  {values = dense<[1, 2, 8, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %11 = tosa.const_shape  {values = dense<[1, 1, 8, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %12 = tosa.const_shape  {values = dense<[1, 1, 8, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %13 = tosa.const_shape  {values = dense<[2, 8, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %14 = "tosa.const"() <{values = dense<5.000000e-01> : tensor<1xf32>}> : () -> tensor<1xf32>
    %15 = "tosa.const"() <{values = dense<0xFF800000> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
    %16 = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
    %17 = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %18 = tosa.pow %1, %14 : (tensor<1xf32>, tensor<1xf32>) -> tensor<1xf32>
    %19 = tosa.reciprocal %18 : (tensor<1xf32>) -> tensor<1xf32>
    %20 = tosa.pow %19, %14 : (tensor<1xf32>, tensor<1xf32>) -> tensor<1xf32>
    %21 = tosa.reshape %3, %4 : (tensor<8xi64>, !tosa.shape<2>) -> tensor<8x1xi64>
    %22 = tosa.reshape %3, %5 : (tensor<8xi64>, !tosa.shape<2>) -> tensor<1x8xi64>
    %23 = tosa.cast %21 : (tensor<8x1xi64>) -> tensor<8x1xi32>
    %24 = tosa.cast %23 : (tensor<8x1xi32>) -> tensor<8x1xi64>
    %25 = tosa.greater %22, %24 : (tensor<1x8xi64>, tensor<8x1xi64>) -> tensor<8x8xi1>
    %26 = tosa.select %25, %15, %16 : (tensor<8x8xi1>, tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<8x8xf32>
    %27 = tosa.transpose %arg1 {perms = array<i32: 0, 1, 3, 2>} : (tensor<1x2x8x16xf32>) -> tensor<1x2x16x8xf32>
    %28 = tosa.reshape %20, %7 : (tensor<1xf32>, !tosa.shape<4>) -> tensor<1x1x1x1xf32>
    %29 = tosa.mul %arg0, %28, %2 : (tensor<1x2x8x16xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x2x8x16xf32>
    %30 = tosa.mul %27, %28, %2 : (tensor<1x2x16x8xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x2x16x8xf32>
    %31 = tosa.reshape %29, %8 : (tensor<1x2x8x16xf32>, !tosa.shape<3>) -> tensor<2x8x16xf32>
    %32 = tosa.reshape %30, %9 : (tensor<1x2x16x8xf32>, !tosa.shape<3>) -> tensor<2x16x8xf32>
    %33 = tosa.matmul %31, %32, %0, %0 : (tensor<2x8x16xf32>, tensor<2x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x8x8xf32>
    %34 = tosa.reshape %33, %10 : (tensor<2x8x8xf32>, !tosa.shape<4>) -> tensor<1x2x8x8xf32>
    %35 = tosa.reshape %26, %11 : (tensor<8x8xf32>, !tosa.shape<4>) -> tensor<1x1x8x8xf32>
    %36 = tosa.add %34, %35 : (tensor<1x2x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x2x8x8xf32>
    %37 = tosa.reduce_max %36 {axis = 3 : i32} : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x1xf32>
    %38 = tosa.sub %36, %37 : (tensor<1x2x8x8xf32>, tensor<1x2x8x1xf32>) -> tensor<1x2x8x8xf32>
    %39 = tosa.exp %38 : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
    %40 = tosa.reduce_sum %39 {axis = 3 : i32} : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x1xf32>
    %41 = tosa.reciprocal %40 : (tensor<1x2x8x1xf32>) -> tensor<1x2x8x1xf32>
    %42 = tosa.mul %39, %41, %2 : (tensor<1x2x8x8xf32>, tensor<1x2x8x1xf32>, tensor<1xi8>) -> tensor<1x2x8x8xf32>
    %43 = tosa.reduce_max %26 {axis = 1 : i32} : (tensor<8x8xf32>) -> tensor<8x1xf32>
    %44 = tosa.equal %43, %15 : (tensor<8x1xf32>, tensor<1x1xf32>) -> tensor<8x1xi1>
    %45 = tosa.reshape %44, %12 : (tensor<8x1xi1>, !tosa.shape<4>) -> tensor<1x1x8x1xi1>
    %46 = tosa.select %45, %17, %42 : (tensor<1x1x8x1xi1>, tensor<1x1x1x1xf32>, tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
    %47 = tosa.reshape %46, %13 : (tensor<1x2x8x8xf32>, !tosa.shape<3>) -> tensor<2x8x8xf32>
    %48 = tosa.reshape %arg2, %8 : (tensor<1x2x8x16xf32>, !tosa.shape<3>) -> tensor<2x8x16xf32>
    %49 = tosa.matmul %47, %48, %0, %0 : (tensor<2x8x8xf32>, tensor<2x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x8x16xf32>
    %50 = tosa.reshape %49, %6 : (tensor<2x8x16xf32>, !tosa.shape<4>) -> tensor<1x2x8x16xf32>
    return %50 : tensor<1x2x8x16xf32>
  }
}
