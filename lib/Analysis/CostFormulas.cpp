//===- CostFormulas.cpp - alpha-beta time of collectives and kernels -------===//
#include "quilt/Analysis/CostFormulas.h"

#include <algorithm>
#include <cmath>

using namespace quilt;

int64_t quilt::ceilLog2(int64_t p) {
  int64_t steps = 0;
  for (int64_t reach = 1; reach < p; reach *= 2)
    ++steps;
  return steps;
}

bool quilt::isPowerOfTwo(int64_t p) { return p > 0 && (p & (p - 1)) == 0; }

static double fraction(int64_t p) { return double(p - 1) / double(p); }

double quilt::ringAllReduceUs(int64_t p, double bytes, LinkCost link) {
  if (p <= 1)
    return 0;
  return 2.0 * (p - 1) * link.alphaUs + link.transferUs(2.0 * fraction(p) * bytes);
}

double quilt::recursiveDoublingAllReduceUs(int64_t p, double bytes, LinkCost link) {
  if (p <= 1)
    return 0;
  // Other than a power of two, the extra ranks fold in first and get the
  // result back after: two more exchanges of the whole buffer.
  double steps = isPowerOfTwo(p) ? ceilLog2(p) : ceilLog2(p) + 1;
  return steps * (link.alphaUs + link.transferUs(bytes));
}

double quilt::rabenseifnerAllReduceUs(int64_t p, double bytes, LinkCost link) {
  if (p <= 1)
    return 0;
  if (isPowerOfTwo(p))
    return 2.0 * ceilLog2(p) * link.alphaUs + link.transferUs(2.0 * fraction(p) * bytes);
  // Fold to the largest power of two below (one send of the buffer), run
  // there, send the result back.
  int64_t folded = int64_t(1) << (ceilLog2(p) - 1);
  return 2.0 * link.alphaUs + link.transferUs(2.0 * bytes) +
         rabenseifnerAllReduceUs(folded, bytes, link);
}

double quilt::switchAllReduceUs(int64_t p, double bytes, double alphaUs,
                                double busBandwidthGBps) {
  if (p <= 1)
    return 0;
  return alphaUs + LinkCost{0, busBandwidthGBps}.transferUs(2.0 * fraction(p) * bytes);
}

double quilt::twoLevelAllReduceUs(int64_t g, int64_t nodes, double bytes, LinkCost intra,
                                  LinkCost inter) {
  double inside = ringReduceScatterUs(g, bytes, intra) + ringAllGatherUs(g, bytes, intra);
  double between = std::min({ringAllReduceUs(nodes, bytes / g, inter),
                             recursiveDoublingAllReduceUs(nodes, bytes / g, inter),
                             rabenseifnerAllReduceUs(nodes, bytes / g, inter)});
  return inside + between;
}

double quilt::ringAllGatherUs(int64_t p, double gatheredBytes, LinkCost link) {
  if (p <= 1)
    return 0;
  return (p - 1) * link.alphaUs + link.transferUs(fraction(p) * gatheredBytes);
}

double quilt::bruckAllGatherUs(int64_t p, double gatheredBytes, LinkCost link) {
  if (p <= 1)
    return 0;
  return ceilLog2(p) * link.alphaUs + link.transferUs(fraction(p) * gatheredBytes);
}

double quilt::ringReduceScatterUs(int64_t p, double bytes, LinkCost link) {
  return ringAllGatherUs(p, bytes, link);
}

double quilt::halvingReduceScatterUs(int64_t p, double bytes, LinkCost link) {
  return bruckAllGatherUs(p, bytes, link);
}

double quilt::pairwiseAllToAllUs(int64_t p, double sentBytes, LinkCost link) {
  if (p <= 1)
    return 0;
  return (p - 1) * link.alphaUs + link.transferUs(sentBytes);
}

double quilt::bruckAllToAllUs(int64_t p, double sentBytes, LinkCost link) {
  if (p <= 1)
    return 0;
  double steps = ceilLog2(p);
  double buffer = sentBytes * p / (p - 1);
  return steps * link.alphaUs + link.transferUs(buffer / 2.0 * steps);
}

double quilt::exchangeUs(int64_t messages, double bytes, LinkCost link) {
  if (messages <= 0)
    return 0;
  return link.alphaUs + link.transferUs(bytes);
}

std::optional<double> quilt::scheduleUs(CollectiveKind kind, CollectiveAlgorithm algorithm,
                                        int64_t p, double bytes, LinkCost link) {
  if (algorithm == CollectiveAlgorithm::Library || !collectiveAlgorithmServes(kind, algorithm, p))
    return std::nullopt;
  switch (algorithm) {
  case CollectiveAlgorithm::Ring:
    return kind == CollectiveKind::AllReduce   ? ringAllReduceUs(p, bytes, link)
           : kind == CollectiveKind::AllGather ? ringAllGatherUs(p, bytes, link)
                                               : ringReduceScatterUs(p, bytes, link);
  case CollectiveAlgorithm::RecursiveDoubling:
    return recursiveDoublingAllReduceUs(p, bytes, link);
  case CollectiveAlgorithm::Rabenseifner:
    return rabenseifnerAllReduceUs(p, bytes, link);
  case CollectiveAlgorithm::Bruck:
    return bruckAllGatherUs(p, bytes, link);
  case CollectiveAlgorithm::RecursiveHalving:
    return halvingReduceScatterUs(p, bytes, link);
  case CollectiveAlgorithm::Pairwise:
    return pairwiseAllToAllUs(p, bytes, link);
  case CollectiveAlgorithm::Library:
    break;
  }
  return std::nullopt;
}

double quilt::scheduleMemoryBytes(CollectiveKind kind, CollectiveAlgorithm algorithm, int64_t p,
                                  double bytes) {
  if (p <= 1 || !collectiveAlgorithmServes(kind, algorithm, p))
    return 0;
  // A combine reads the rank's partial and the one that arrived and writes
  // the result: 3 bytes of traffic per byte combined; a copy 2.
  // Both reduce-scatters (ring, recursive halving) combine (p-1)/p of their
  // input into a working buffer, then copy out the rank's block.
  if (kind == CollectiveKind::ReduceScatter)
    return 3.0 * fraction(p) * bytes + 2.0 * bytes / p;
  bool power = isPowerOfTwo(p);
  double folded = power ? double(p) : double(int64_t(1) << (ceilLog2(p) - 1));
  double fold = power ? 0.0 : bytes; // the odd member of a pair combines its partner's buffer
  switch (algorithm) {
  case CollectiveAlgorithm::Ring: // an all-gather receives in place
    return kind == CollectiveKind::AllReduce ? 3.0 * fraction(p) * bytes : 0.0;
  case CollectiveAlgorithm::RecursiveDoubling:
    return 3.0 * (ceilLog2(int64_t(folded)) * bytes + fold);
  case CollectiveAlgorithm::Rabenseifner:
    return 3.0 * (fraction(int64_t(folded)) * bytes + fold);
  case CollectiveAlgorithm::Bruck: // gathers into a row, then rotates it into place
    return 2.0 * bytes;
  case CollectiveAlgorithm::RecursiveHalving: // a reduce-scatter: above
  case CollectiveAlgorithm::Pairwise:
  case CollectiveAlgorithm::Library:
    return 0;
  }
  return 0;
}

std::optional<double> quilt::scheduleWithMemoryUs(CollectiveKind kind,
                                                  CollectiveAlgorithm algorithm, int64_t p,
                                                  double bytes, LinkCost link,
                                                  double memoryGBps) {
  std::optional<double> messages = scheduleUs(kind, algorithm, p, bytes, link);
  if (!messages)
    return std::nullopt;
  double memory = scheduleMemoryBytes(kind, algorithm, p, bytes);
  return *messages + (memoryGBps > 0 ? LinkCost{0, memoryGBps}.transferUs(memory) : 0.0);
}

std::optional<std::pair<CollectiveAlgorithm, double>>
quilt::cheapestSchedule(CollectiveKind kind, int64_t p, double bytes, LinkCost link,
                        double memoryGBps) {
  std::optional<std::pair<CollectiveAlgorithm, double>> best;
  for (CollectiveAlgorithm algorithm : collectiveSchedulesServing(kind, p)) {
    std::optional<double> us = scheduleWithMemoryUs(kind, algorithm, p, bytes, link, memoryGBps);
    if (us && (!best || *us < best->second))
      best = {algorithm, *us};
  }
  return best;
}

static AlgorithmTime cheapest(std::initializer_list<AlgorithmTime> options) {
  AlgorithmTime best = *options.begin();
  for (const AlgorithmTime &option : options)
    if (option.us < best.us)
      best = option;
  return best;
}

AlgorithmTime quilt::cheapestAllReduce(int64_t p, double bytes, LinkCost link,
                                       double switchBusBandwidthGBps) {
  AlgorithmTime best = cheapest({{"ring", ringAllReduceUs(p, bytes, link)},
                                 {"recursive-doubling",
                                  recursiveDoublingAllReduceUs(p, bytes, link)},
                                 {"rabenseifner", rabenseifnerAllReduceUs(p, bytes, link)}});
  if (switchBusBandwidthGBps > 0) {
    double nvls = switchAllReduceUs(p, bytes, link.alphaUs, switchBusBandwidthGBps);
    if (nvls < best.us)
      best = {"switch", nvls};
  }
  return best;
}

AlgorithmTime quilt::cheapestAllGather(int64_t p, double gatheredBytes, LinkCost link) {
  return cheapest({{"ring", ringAllGatherUs(p, gatheredBytes, link)},
                   {"bruck", bruckAllGatherUs(p, gatheredBytes, link)}});
}

AlgorithmTime quilt::cheapestReduceScatter(int64_t p, double bytes, LinkCost link) {
  return cheapest({{"ring", ringReduceScatterUs(p, bytes, link)},
                   {"recursive-halving", halvingReduceScatterUs(p, bytes, link)}});
}

AlgorithmTime quilt::cheapestAllToAll(int64_t p, double sentBytes, LinkCost link) {
  return cheapest({{"pairwise", pairwiseAllToAllUs(p, sentBytes, link)},
                   {"bruck", bruckAllToAllUs(p, sentBytes, link)}});
}

double quilt::busBandwidthGBps(const std::string &kind, int64_t p, double bytes, double us) {
  if (us <= 0 || p <= 1)
    return 0;
  double algbw = bytes / (us * 1e3);
  double factor = kind == "all_reduce" ? 2.0 * fraction(p) : fraction(p);
  return algbw * factor;
}

double quilt::rooflineUs(double flops, double bytes, double peakGflops, double memoryGBps,
                         double efficiency, double launchUs) {
  return rooflineUs(flops, bytes, peakGflops, memoryGBps, efficiency, efficiency, launchUs);
}

double quilt::rooflineUs(double flops, double bytes, double peakGflops, double memoryGBps,
                         double computeEfficiency, double memoryEfficiency, double launchUs) {
  double computeEff = computeEfficiency > 0 ? computeEfficiency : 1;
  double memoryEff = memoryEfficiency > 0 ? memoryEfficiency : 1;
  double compute = peakGflops > 0 ? flops / (peakGflops * computeEff * 1e3) : 0;
  double memory = memoryGBps > 0 ? bytes / (memoryGBps * memoryEff * 1e3) : 0;
  return launchUs + std::max(compute, memory);
}
