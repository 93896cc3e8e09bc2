// The Quilt weights file: what the compiler writes next to a model executable
// and what the runtime maps read-only. Header-only so both sides share one
// definition of the layout and of the checksum.
//
//   bytes  0..7   magic "QUILTWTS"
//   bytes  8..11  u32 version (1)
//   bytes 12..15  u32 reserved (0)
//   bytes 16..23  u64 data_bytes
//   bytes 24..31  u64 FNV-1a 64 checksum of the data bytes
//   bytes 32..63  zero padding, so the data starts 64-byte aligned
//   bytes 64..    the data
// All integers little-endian.
#ifndef QUILT_WEIGHTS_FORMAT_H
#define QUILT_WEIGHTS_FORMAT_H

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace quilt {
namespace weights {

constexpr char kMagic[8] = {'Q', 'U', 'I', 'L', 'T', 'W', 'T', 'S'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 64;

constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

/// FNV-1a 64 of `bytes`; pass the previous result as `hash` to continue.
inline uint64_t fnv1a64(const void *data, size_t bytes, uint64_t hash = kFnvOffsetBasis) {
  const unsigned char *p = static_cast<const unsigned char *>(data);
  for (size_t i = 0; i < bytes; ++i) {
    hash ^= p[i];
    hash *= kFnvPrime;
  }
  return hash;
}

/// The checksum as the model info JSON spells it: 16 lower-case hex digits.
inline std::string checksumHex(uint64_t checksum) {
  static const char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, checksum >>= 4)
    out[i] = digits[checksum & 0xf];
  return out;
}

struct Header {
  uint64_t dataBytes = 0;
  uint64_t checksum = 0;
};

inline void storeLE(unsigned char *out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out[i] = static_cast<unsigned char>(value >> (8 * i));
}

inline uint64_t loadLE(const unsigned char *in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value |= static_cast<uint64_t>(in[i]) << (8 * i);
  return value;
}

inline void encodeHeader(const Header &header, unsigned char out[kHeaderBytes]) {
  for (size_t i = 0; i < kHeaderBytes; ++i)
    out[i] = 0;
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<unsigned char>(kMagic[i]);
  storeLE(out + 8, kVersion, 4);
  storeLE(out + 16, header.dataBytes, 8);
  storeLE(out + 24, header.checksum, 8);
}

/// Parses the first `size` bytes of a weights file; on failure returns false
/// and says why in `error`.
inline bool decodeHeader(const unsigned char *bytes, size_t size, Header &header,
                         std::string &error) {
  if (size < kHeaderBytes) {
    error = "file is shorter than the 64-byte weights header";
    return false;
  }
  for (int i = 0; i < 8; ++i) {
    if (bytes[i] != static_cast<unsigned char>(kMagic[i])) {
      error = "not a Quilt weights file (bad magic)";
      return false;
    }
  }
  uint64_t version = loadLE(bytes + 8, 4);
  if (version != kVersion) {
    error = "unsupported weights file version " + std::to_string(version);
    return false;
  }
  header.dataBytes = loadLE(bytes + 16, 8);
  header.checksum = loadLE(bytes + 24, 8);
  if (size - kHeaderBytes < header.dataBytes) {
    error = "file holds " + std::to_string(size - kHeaderBytes) + " data bytes, header says " +
            std::to_string(header.dataBytes);
    return false;
  }
  return true;
}

/// Writes a complete weights file; returns false and sets `error` on failure.
inline bool writeFile(const std::string &path, const void *data, uint64_t dataBytes,
                      std::string &error) {
  Header header{dataBytes, fnv1a64(data, dataBytes)};
  unsigned char encoded[kHeaderBytes];
  encodeHeader(header, encoded);
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file) {
    error = "cannot create weights file '" + path + "'";
    return false;
  }
  bool ok = std::fwrite(encoded, 1, kHeaderBytes, file) == kHeaderBytes &&
            (dataBytes == 0 || std::fwrite(data, 1, dataBytes, file) == dataBytes);
  ok = (std::fclose(file) == 0) && ok;
  if (!ok)
    error = "cannot write weights file '" + path + "'";
  return ok;
}

} // namespace weights
} // namespace quilt

#endif // QUILT_WEIGHTS_FORMAT_H
