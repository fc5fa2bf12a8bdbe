//===- AttnInterfaces.td - attn op interfaces --------------*- tablegen -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_IR_ATTNINTERFACES_TD
#define ATTN_IR_ATTNINTERFACES_TD

include "mlir/IR/OpBase.td"

def Attn_AttnOpInterface : OpInterface<"AttnOpInterface"> {
  let description = [{
    Shape and cost queries common to the attn ops: the result shape their
    operands imply (used by the verifiers and by run-time shape checks) and
    their floating-point operation count.
  }];
  let cppNamespace = "::mlir::attn";
  let methods = [
    InterfaceMethod<
      /*desc=*/[{The result shape implied by the operands; dynamic where the
                 operands do not fix a dim.}],
      /*retTy=*/"::llvm::SmallVector<int64_t>",
      /*methodName=*/"getExpectedResultShape">,
    InterfaceMethod<
      /*desc=*/[{Multiply-adds count as two; causal and window masking count
                 only the kept (query, key) pairs. None when a dim the count
                 needs is dynamic.}],
      /*retTy=*/"std::optional<double>",
      /*methodName=*/"getFlopCount">,
  ];
}

#endif // ATTN_IR_ATTNINTERFACES_TD
