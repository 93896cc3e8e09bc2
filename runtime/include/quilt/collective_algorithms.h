// The collective algorithms a plan may name and the runtime runs: their
// ABI numbers (the last attribute word of quilt_rt_all_reduce, all_gather,
// reduce_scatter and all_to_all), their names in the IR (the `algorithm`
// attribute of quilt.all_reduce, ...) and which kind each serves.
// Header-only and dependency-free: shared by the compiler (verifier, cost
// model, lowering) and the runtime (communicators), so both sides agree on
// what a number means.
#ifndef QUILT_COLLECTIVE_ALGORITHMS_H
#define QUILT_COLLECTIVE_ALGORITHMS_H

#include <cstdint>
#include <cstring>
#include <vector>

namespace quilt {

/// The collectives that carry an algorithm.
enum class CollectiveKind : int64_t { AllReduce, AllGather, ReduceScatter, AllToAll };

/// How the runtime moves a collective's data. `Library` leaves the choice to
/// the communicator's library (MPI's tuned collectives, NCCL's tuner); the
/// others are Quilt's own point-to-point schedules (Thakur, Rabenseifner and
/// Gropp 2005), the very algorithms the cost model times.
enum class CollectiveAlgorithm : int64_t {
  Library = 0,
  Ring = 1,              // all-reduce, all-gather, reduce-scatter
  RecursiveDoubling = 2, // all-reduce
  Rabenseifner = 3,      // all-reduce: recursive halving, then doubling
  Bruck = 4,             // all-gather: ceil(lg p) steps, any p
  RecursiveHalving = 5,  // reduce-scatter: lg p steps, p a power of two
  Pairwise = 6,          // all-to-all: p - 1 exchanges
};

inline const char *collectiveAlgorithmName(CollectiveAlgorithm algorithm) {
  switch (algorithm) {
  case CollectiveAlgorithm::Library:
    return "library";
  case CollectiveAlgorithm::Ring:
    return "ring";
  case CollectiveAlgorithm::RecursiveDoubling:
    return "recursive-doubling";
  case CollectiveAlgorithm::Rabenseifner:
    return "rabenseifner";
  case CollectiveAlgorithm::Bruck:
    return "bruck";
  case CollectiveAlgorithm::RecursiveHalving:
    return "recursive-halving";
  case CollectiveAlgorithm::Pairwise:
    return "pairwise";
  }
  return "unknown";
}

/// Every algorithm's name, for messages that list them.
inline constexpr const char kCollectiveAlgorithmNames[] =
    "library, ring, recursive-doubling, rabenseifner, bruck, recursive-halving, pairwise";

namespace detail {
/// The enumerator 0 .. `last` of `Enum` that `nameOf` names as the `length`
/// characters at `name`; false if none is.
template <class Enum, class NameOf>
inline bool parseByName(const char *name, size_t length, Enum last, NameOf nameOf, Enum &out) {
  for (int64_t i = 0; i <= static_cast<int64_t>(last); ++i) {
    const char *candidate = nameOf(static_cast<Enum>(i));
    if (std::strlen(candidate) == length && std::strncmp(candidate, name, length) == 0) {
      out = static_cast<Enum>(i);
      return true;
    }
  }
  return false;
}
} // namespace detail

/// The algorithm named `name`; false if none is.
inline bool parseCollectiveAlgorithm(const char *name, size_t length,
                                     CollectiveAlgorithm &algorithm) {
  return detail::parseByName(name, length, CollectiveAlgorithm::Pairwise, collectiveAlgorithmName,
                             algorithm);
}

/// Whether the runtime's own schedules run `algorithm` for `kind` over a
/// group of `members` ranks (the library runs every kind on any group).
inline bool collectiveAlgorithmServes(CollectiveKind kind, CollectiveAlgorithm algorithm,
                                      int64_t members) {
  using A = CollectiveAlgorithm;
  switch (kind) {
  case CollectiveKind::AllReduce:
    return algorithm == A::Library || algorithm == A::Ring ||
           algorithm == A::RecursiveDoubling || algorithm == A::Rabenseifner;
  case CollectiveKind::AllGather:
    return algorithm == A::Library || algorithm == A::Ring || algorithm == A::Bruck;
  case CollectiveKind::ReduceScatter:
    return algorithm == A::Library || algorithm == A::Ring ||
           (algorithm == A::RecursiveHalving && members > 0 && (members & (members - 1)) == 0);
  case CollectiveKind::AllToAll:
    return algorithm == A::Library || algorithm == A::Pairwise;
  }
  return false;
}

/// Every algorithm that runs `kind` over a group of `members` ranks, in
/// enum order: the library first, then the runtime's own schedules.
inline std::vector<CollectiveAlgorithm> collectiveAlgorithmsServing(CollectiveKind kind,
                                                                    int64_t members) {
  std::vector<CollectiveAlgorithm> serving;
  for (int64_t i = 0; i <= static_cast<int64_t>(CollectiveAlgorithm::Pairwise); ++i)
    if (collectiveAlgorithmServes(kind, static_cast<CollectiveAlgorithm>(i), members))
      serving.push_back(static_cast<CollectiveAlgorithm>(i));
  return serving;
}

/// The runtime's own schedules that run `kind` over `members` ranks:
/// collectiveAlgorithmsServing without the library's collective.
inline std::vector<CollectiveAlgorithm> collectiveSchedulesServing(CollectiveKind kind,
                                                                   int64_t members) {
  std::vector<CollectiveAlgorithm> schedules = collectiveAlgorithmsServing(kind, members);
  if (!schedules.empty() && schedules.front() == CollectiveAlgorithm::Library)
    schedules.erase(schedules.begin());
  return schedules;
}

/// The name of a kind as the IR and `--report` spell it.
inline const char *collectiveKindName(CollectiveKind kind) {
  switch (kind) {
  case CollectiveKind::AllReduce:
    return "all_reduce";
  case CollectiveKind::AllGather:
    return "all_gather";
  case CollectiveKind::ReduceScatter:
    return "reduce_scatter";
  case CollectiveKind::AllToAll:
    return "all_to_all";
  }
  return "unknown";
}

/// The kind named `name` as the IR spells it (all_reduce, ...); false if
/// none is.
inline bool parseCollectiveKind(const char *name, size_t length, CollectiveKind &kind) {
  return detail::parseByName(name, length, CollectiveKind::AllToAll, collectiveKindName, kind);
}

/// Every kind's name, for messages that list them.
inline constexpr const char kCollectiveKindNames[] =
    "all_reduce, all_gather, reduce_scatter, all_to_all";

} // namespace quilt

#endif // QUILT_COLLECTIVE_ALGORITHMS_H
