#include "weights_file.h"
#include "error.h"
#include "quilt/weights_format.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace quilt {
namespace {

size_t fileSize(int fd, const std::string &path) {
  struct stat info;
  if (::fstat(fd, &info) != 0)
    raise("cannot stat weights file '", path, "': ", std::strerror(errno));
  return static_cast<size_t>(info.st_size);
}

} // namespace

MappedWeights::MappedWeights(const std::string &path, uint64_t expectedBytes,
                             const std::string &expectedChecksum) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    raise("cannot open weights file '", path, "': ", std::strerror(errno),
          " (pass --weights=PATH)");
  mapBytes_ = fileSize(fd, path);
  if (mapBytes_ > 0)
    map_ = ::mmap(nullptr, mapBytes_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    raise("cannot map weights file '", path, "': ", std::strerror(errno));
  }
  try {
    verify(path, expectedBytes, expectedChecksum);
  } catch (...) {
    if (map_)
      ::munmap(map_, mapBytes_);
    throw;
  }
}

void MappedWeights::verify(const std::string &path, uint64_t expectedBytes,
                           const std::string &expectedChecksum) {
  weights::Header header;
  std::string why;
  if (!weights::decodeHeader(static_cast<const unsigned char *>(map_), mapBytes_, header, why))
    raise("weights file '", path, "': ", why);
  if (header.dataBytes != expectedBytes)
    raise("weights file '", path, "' holds ", header.dataBytes, " bytes, the model expects ",
          expectedBytes, " (was it written for another model?)");
  std::string fileChecksum = weights::checksumHex(header.checksum);
  if (strcasecmp(fileChecksum.c_str(), expectedChecksum.c_str()) != 0)
    raise("weights file '", path, "' has checksum ", fileChecksum, ", the model expects ",
          expectedChecksum, " (was it written for another model?)");
  dataBytes_ = header.dataBytes;
  uint64_t actual = weights::fnv1a64(data(), dataBytes_);
  if (actual != header.checksum)
    raise("weights file '", path, "' is corrupt: data checksum ", weights::checksumHex(actual),
          ", header says ", fileChecksum);
}

MappedWeights::~MappedWeights() {
  if (map_)
    ::munmap(map_, mapBytes_);
}

const void *MappedWeights::data() const {
  return static_cast<const char *>(map_) + weights::kHeaderBytes;
}

} // namespace quilt
