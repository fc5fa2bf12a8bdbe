//===- OmpSchedule.cpp - schedules for OpenMP worksharing loops -*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNOMPSCHEDULEPASS
#include "attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;

namespace {
struct AttnOmpSchedulePass
    : attn::impl::AttnOmpSchedulePassBase<AttnOmpSchedulePass> {
  using Base::Base;

  void runOnOperation() override {
    auto attr = omp::ClauseScheduleKindAttr::get(&getContext(), kind);
    getOperation()->walk([&](omp::WsloopOp loop) {
      if (!loop.getScheduleKindAttr())
        loop.setScheduleKindAttr(attr);
    });
  }
};
} // namespace
