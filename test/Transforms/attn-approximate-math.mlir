// RUN: attn-opt %s --attn-approximate-math -split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-approximate-math=include-bf16=true -split-input-file | FileCheck %s --check-prefix=BF16

// exp and tanh become polynomials of vector arithmetic: no math.exp or
// math.tanh (which would lower to scalar libm calls per lane) is left.
// CHECK-LABEL: func.func @exp_tanh
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK: math.fma
// CHECK: return
// BF16-LABEL: func.func @exp_tanh
// BF16-NOT: math.exp
// BF16-NOT: math.tanh
func.func @exp_tanh(%x: vector<8xf32>) -> vector<8xf32> {
  %0 = math.exp %x : vector<8xf32>
  %1 = math.tanh %0 : vector<8xf32>
  return %1 : vector<8xf32>
}

// -----

// f32 -> bf16 rounding stays an arith.truncf by default; with include-bf16
// it is integer code: NaN check, the round-to-nearest-even bias
// 0x7FFF + (bit 16), the high half, and the quiet NaN 0x7FC0 for NaN lanes.
// CHECK-LABEL: func.func @truncf_bf16
// CHECK: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// BF16-LABEL: func.func @truncf_bf16
// BF16-DAG: %[[ONE:.*]] = arith.constant dense<1> : vector<8xi32>
// BF16-DAG: %[[SIXTEEN:.*]] = arith.constant dense<16> : vector<8xi32>
// BF16-DAG: %[[QNAN:.*]] = arith.constant dense<32704> : vector<8xi16>
// BF16-DAG: %[[HALF:.*]] = arith.constant dense<32767> : vector<8xi32>
// BF16: %[[NAN:.*]] = arith.cmpf une, %[[X:.*]], %[[X]] : vector<8xf32>
// BF16: %[[BITS:.*]] = arith.bitcast %[[X]] : vector<8xf32> to vector<8xi32>
// BF16: %[[HI:.*]] = arith.shrui %[[BITS]], %[[SIXTEEN]]
// BF16: %[[ODD:.*]] = arith.andi %[[HI]], %[[ONE]]
// BF16: %[[BIAS:.*]] = arith.addi %[[ODD]], %[[HALF]]
// BF16: %[[SUM:.*]] = arith.addi %[[BITS]], %[[BIAS]]
// BF16: %[[TOP:.*]] = arith.shrui %[[SUM]], %[[SIXTEEN]]
// BF16: %[[NARROW:.*]] = arith.trunci %[[TOP]] : vector<8xi32> to vector<8xi16>
// BF16: %[[SEL:.*]] = arith.select %[[NAN]], %[[QNAN]], %[[NARROW]]
// BF16: %[[OUT:.*]] = arith.bitcast %[[SEL]] : vector<8xi16> to vector<8xbf16>
// BF16: return %[[OUT]]
// BF16-NOT: arith.truncf
func.func @truncf_bf16(%x: vector<8xf32>) -> vector<8xbf16> {
  %0 = arith.truncf %x : vector<8xf32> to vector<8xbf16>
  return %0 : vector<8xbf16>
}

// -----

// Scalars too (the loops that write outputs element by element).
// CHECK-LABEL: func.func @truncf_bf16_scalar
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// BF16-LABEL: func.func @truncf_bf16_scalar
// BF16-NOT: arith.truncf
// BF16: arith.bitcast %{{.*}} : i16 to bf16
func.func @truncf_bf16_scalar(%x: f32) -> bf16 {
  %0 = arith.truncf %x : f32 to bf16
  return %0 : bf16
}

// -----

// bf16 -> f32 is the bits shifted into the high half.
// CHECK-LABEL: func.func @extf_bf16
// CHECK: arith.extf
// BF16-LABEL: func.func @extf_bf16
// BF16: %[[BITS:.*]] = arith.bitcast %{{.*}} : vector<8xbf16> to vector<8xi16>
// BF16: %[[WIDE:.*]] = arith.extui %[[BITS]] : vector<8xi16> to vector<8xi32>
// BF16: %[[SHL:.*]] = arith.shli %[[WIDE]]
// BF16: arith.bitcast %[[SHL]] : vector<8xi32> to vector<8xf32>
// BF16-NOT: arith.extf
func.func @extf_bf16(%x: vector<8xbf16>) -> vector<8xf32> {
  %0 = arith.extf %x : vector<8xbf16> to vector<8xf32>
  return %0 : vector<8xf32>
}

// -----

// f16 has its conversion instructions (F16C): left alone either way.
// CHECK-LABEL: func.func @truncf_f16
// CHECK: arith.truncf %{{.*}} : vector<8xf32> to vector<8xf16>
// BF16-LABEL: func.func @truncf_f16
// BF16: arith.truncf %{{.*}} : vector<8xf32> to vector<8xf16>
func.func @truncf_f16(%x: vector<8xf32>) -> vector<8xf16> {
  %0 = arith.truncf %x : vector<8xf32> to vector<8xf16>
  return %0 : vector<8xf16>
}
