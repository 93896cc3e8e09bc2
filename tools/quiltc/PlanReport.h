//===- PlanReport.h - quiltc --plan-report: the plan as a web page -*- C++ -*-===//
//
// One self-contained HTML page (inline CSS, SVG and a little JavaScript; no
// network) of the plan the simulation predicted (Simulation.h):
//  * the mesh over the topology's levels: units of each level as nested
//    boxes, the ranks in them labelled with their mesh coordinates, and per
//    mesh axis the group through rank 0 and the level it stays inside;
//  * each distinct (shape, split) of the partitioned program's results as a
//    small grid of the blocks of its split dims, coloured by mesh axis;
//  * the predicted step, op by op: bars of compute, halo and collective time
//    with the op, its ONNX node, algorithm, level, bytes and critical rank;
//  * the plan search's ranked candidates (--mesh=auto), the winner marked.
// Every string from the model or the topology is HTML-escaped.
//
//===----------------------------------------------------------------------===//
#ifndef QUILTC_PLANREPORT_H
#define QUILTC_PLANREPORT_H

#include "Simulation.h"

#include "quilt/Planning/PlanSearch.h"

#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace quilt {

/// Writes the page to `path` ("-": standard output). `ranked` is the plan
/// search's ranked candidates, the winner first (empty when the mesh was
/// given). Fails with one line in `error` when the file cannot be written.
mlir::LogicalResult writePlanReport(const Simulation &simulation,
                                    llvm::ArrayRef<PlanCandidate> ranked, llvm::StringRef path,
                                    std::string &error);

/// `text` with & < > " ' replaced by character references.
std::string htmlEscape(llvm::StringRef text);

} // namespace quilt

#endif // QUILTC_PLANREPORT_H
