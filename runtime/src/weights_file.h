// A weights file mapped read-only for the lifetime of a run.
#ifndef QUILT_RUNTIME_WEIGHTS_FILE_H
#define QUILT_RUNTIME_WEIGHTS_FILE_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace quilt {

class MappedWeights {
public:
  /// Maps `path` and checks its header and data against what the model was
  /// compiled with (`expectedBytes`, `expectedChecksum` as 16 hex digits).
  MappedWeights(const std::string &path, uint64_t expectedBytes,
                const std::string &expectedChecksum);
  ~MappedWeights();
  MappedWeights(const MappedWeights &) = delete;
  MappedWeights &operator=(const MappedWeights &) = delete;

  const void *data() const;
  size_t size() const { return dataBytes_; }

private:
  void verify(const std::string &path, uint64_t expectedBytes, const std::string &expectedChecksum);

  void *map_ = nullptr;
  size_t mapBytes_ = 0;
  size_t dataBytes_ = 0;
};

} // namespace quilt

#endif // QUILT_RUNTIME_WEIGHTS_FILE_H
