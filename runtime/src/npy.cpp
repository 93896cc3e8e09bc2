#include "npy.h"
#include "error.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace quilt {
namespace {

/// Closes the descriptor on every path out.
class File {
public:
  File(const std::string &path, int flags, mode_t mode = 0644) : fd_(::open(path.c_str(), flags, mode)) {
    if (fd_ < 0)
      raise("cannot open '", path, "': ", std::strerror(errno));
  }
  ~File() { ::close(fd_); }
  File(const File &) = delete;
  File &operator=(const File &) = delete;
  int fd() const { return fd_; }

private:
  int fd_;
};

void readExactly(int fd, void *dst, size_t bytes, off_t at, const std::string &path) {
  char *p = static_cast<char *>(dst);
  while (bytes > 0) {
    ssize_t got = ::pread(fd, p, bytes, at);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      raise("cannot read '", path, "': ", std::strerror(errno));
    if (got == 0)
      raise("'", path, "' ends before its data does");
    p += got;
    bytes -= got;
    at += got;
  }
}

void writeExactly(int fd, const void *src, size_t bytes, off_t at, const std::string &path) {
  const char *p = static_cast<const char *>(src);
  while (bytes > 0) {
    ssize_t put = ::pwrite(fd, p, bytes, at);
    if (put < 0 && errno == EINTR)
      continue;
    if (put < 0)
      raise("cannot write '", path, "': ", std::strerror(errno));
    p += put;
    bytes -= put;
    at += put;
  }
}

/// The text after `key` and its ':' in a numpy header dict.
size_t valueAfter(const std::string &dict, const std::string &key, const std::string &path) {
  size_t at = dict.find("'" + key + "'");
  if (at == std::string::npos)
    at = dict.find("\"" + key + "\"");
  if (at == std::string::npos)
    raise("'", path, "': npy header has no '", key, "'");
  at = dict.find(':', at);
  if (at == std::string::npos)
    raise("'", path, "': malformed npy header");
  at = dict.find_first_not_of(" \t", at + 1);
  if (at == std::string::npos)
    raise("'", path, "': malformed npy header");
  return at;
}

std::string parseDescr(const std::string &dict, const std::string &path) {
  size_t at = valueAfter(dict, "descr", path);
  char quote = dict[at];
  size_t end = dict.find(quote, at + 1);
  if ((quote != '\'' && quote != '"') || end == std::string::npos)
    raise("'", path, "': npy header 'descr' is not a string");
  return dict.substr(at + 1, end - at - 1);
}

std::vector<int64_t> parseShape(const std::string &dict, const std::string &path) {
  size_t at = valueAfter(dict, "shape", path);
  size_t end = dict.find(')', at);
  if (dict[at] != '(' || end == std::string::npos)
    raise("'", path, "': npy header 'shape' is not a tuple");
  std::vector<int64_t> shape;
  const char *p = dict.c_str() + at + 1, *stop = dict.c_str() + end;
  while (p < stop) {
    char *next;
    long long v = std::strtoll(p, &next, 10);
    if (next == p) { // separators and spaces
      ++p;
      continue;
    }
    shape.push_back(v);
    p = next;
  }
  return shape;
}

/// Calls run(fileElement, slabElement, count) for each contiguous stretch of
/// the slab inside the row-major array of `shape`.
template <class Fn>
void forEachRun(const std::vector<int64_t> &shape, const Slab &slab, Fn run) {
  int rank = static_cast<int>(shape.size());
  for (int64_t e : slab.extent)
    if (e == 0)
      return;
  int d = rank - 1;
  int64_t runLength = 1;
  while (d >= 0 && slab.extent[d] == shape[d]) // whole trailing dims fold into the run
    runLength *= shape[d--];
  if (d >= 0)
    runLength *= slab.extent[d];
  int outer = std::max(d, 0);
  std::vector<int64_t> strides(rank);
  for (int64_t i = rank - 1, s = 1; i >= 0; s *= shape[i--])
    strides[i] = s;
  std::vector<int64_t> index(outer, 0);
  for (int64_t done = 0;; done += runLength) {
    int64_t at = 0;
    for (int i = 0; i < rank; ++i)
      at += (slab.start[i] + (i < outer ? index[i] : 0)) * strides[i];
    run(at, done, runLength);
    int i = outer - 1;
    for (; i >= 0 && ++index[i] == slab.extent[i]; --i)
      index[i] = 0;
    if (i < 0)
      return;
  }
}

void checkSlab(const std::vector<int64_t> &shape, const Slab &slab) {
  if (slab.start.size() != shape.size() || slab.extent.size() != shape.size())
    raise("slab rank differs from array rank ", shape.size());
  for (size_t i = 0; i < shape.size(); ++i)
    if (slab.start[i] < 0 || slab.extent[i] < 0 || slab.start[i] + slab.extent[i] > shape[i])
      raise("slab [", slab.start[i], ", +", slab.extent[i], ") outside dim ", i, " of size ",
            shape[i]);
}

int64_t elementCount(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t s : shape)
    n *= s;
  return n;
}

constexpr int64_t kExactFloatInteger = int64_t(1) << 24;

template <class T> T load(const char *p) {
  T x;
  std::memcpy(&x, p, sizeof x);
  return x;
}

bool isUnsigned(NpyDtype dtype) {
  return dtype == NpyDtype::UInt8 || dtype == NpyDtype::UInt16 || dtype == NpyDtype::UInt32 ||
         dtype == NpyDtype::UInt64;
}

/// An integer element of `size` bytes, sign-extended or zero-extended.
int64_t loadSigned(const char *p, size_t size) {
  switch (size) {
  case 1:
    return load<int8_t>(p);
  case 2:
    return load<int16_t>(p);
  case 4:
    return load<int32_t>(p);
  default:
    return load<int64_t>(p);
  }
}
uint64_t loadUnsigned(const char *p, size_t size) {
  switch (size) {
  case 1:
    return load<uint8_t>(p);
  case 2:
    return load<uint16_t>(p);
  case 4:
    return load<uint32_t>(p);
  default:
    return load<uint64_t>(p);
  }
}

/// `v` rounded to the nearest integer (ties to even) modulo 2^64, as two's
/// complement bits; NaN and inf are 0.
uint64_t wrappedInteger(float v) {
  if (!std::isfinite(v))
    return 0;
  double m = std::fmod(std::nearbyint(double(v)), 0x1p64); // exact, |m| < 2^64
  uint64_t u = static_cast<uint64_t>(std::fabs(m));
  return m < 0 ? ~u + 1 : u;
}

/// Converts `count` elements of `dtype` at `raw` to float32.
void toFloat(const char *raw, NpyDtype dtype, int64_t count, float *dst, const std::string &path) {
  size_t size = dtypeBytes(dtype);
  for (int64_t i = 0; i < count; ++i) {
    const char *p = raw + i * size;
    switch (dtype) {
    case NpyDtype::Float32:
      dst[i] = load<float>(p);
      continue;
    case NpyDtype::Float64:
      dst[i] = static_cast<float>(load<double>(p));
      continue;
    case NpyDtype::Float16:
      dst[i] = halfToFloat(load<uint16_t>(p));
      continue;
    case NpyDtype::Bool:
      dst[i] = *p != 0;
      continue;
    default:
      break;
    }
    if (isUnsigned(dtype)) {
      uint64_t x = loadUnsigned(p, size);
      if (x > static_cast<uint64_t>(kExactFloatInteger))
        raise("'", path, "': integer ", x, " exceeds 2^24, beyond what Quilt's float32 compute "
              "holds exactly");
      dst[i] = static_cast<float>(x);
    } else {
      int64_t x = loadSigned(p, size);
      if (x > kExactFloatInteger || x < -kExactFloatInteger)
        raise("'", path, "': integer ", x, " exceeds 2^24 in magnitude, beyond what Quilt's "
              "float32 compute holds exactly");
      dst[i] = static_cast<float>(x);
    }
  }
}

/// Converts `count` float32 values to `dtype` at `raw` (as storeAs says).
void fromFloat(const float *src, NpyDtype dtype, int64_t count, char *raw) {
  size_t size = dtypeBytes(dtype);
  for (int64_t i = 0; i < count; ++i) {
    char *p = raw + i * size;
    float v = src[i];
    switch (dtype) {
    case NpyDtype::Float32:
      std::memcpy(p, &v, 4);
      break;
    case NpyDtype::Float64: {
      double d = v;
      std::memcpy(p, &d, 8);
      break;
    }
    case NpyDtype::Float16: {
      uint16_t h = floatToHalf(v);
      std::memcpy(p, &h, 2);
      break;
    }
    case NpyDtype::Bool:
      *p = v != 0;
      break;
    default: {
      // The low `size` bytes of the little-endian two's complement: the value
      // modulo 2^bits.
      uint64_t x = wrappedInteger(v);
      std::memcpy(p, &x, size);
      break;
    }
    }
  }
}

} // namespace

float storeAs(NpyDtype dtype, float value) {
  char raw[8];
  fromFloat(&value, dtype, 1, raw);
  switch (dtype) {
  case NpyDtype::Float32:
  case NpyDtype::Float64:
    return value;
  case NpyDtype::Float16:
    return halfToFloat(load<uint16_t>(raw));
  case NpyDtype::Bool:
    return raw[0] != 0;
  default:
    return isUnsigned(dtype) ? static_cast<float>(loadUnsigned(raw, dtypeBytes(dtype)))
                             : static_cast<float>(loadSigned(raw, dtypeBytes(dtype)));
  }
}

NpyHeader readNpyHeader(const std::string &path) {
  File file(path, O_RDONLY);
  unsigned char prefix[12];
  readExactly(file.fd(), prefix, 10, 0, path);
  if (std::memcmp(prefix, "\x93NUMPY", 6) != 0)
    raise("'", path, "' is not a .npy file");
  int major = prefix[6];
  if (major < 1 || major > 3)
    raise("'", path, "': unsupported npy format version ", major);
  size_t length = prefix[8] | (prefix[9] << 8);
  size_t headerStart = 10;
  if (major >= 2) {
    readExactly(file.fd(), prefix + 10, 2, 10, path);
    length |= size_t(prefix[10]) << 16 | size_t(prefix[11]) << 24;
    headerStart = 12;
  }
  std::string dict(length, '\0');
  readExactly(file.fd(), dict.data(), length, headerStart, path);
  NpyHeader header;
  header.descr = parseDescr(dict, path);
  header.fortranOrder = dict.compare(valueAfter(dict, "fortran_order", path), 4, "True") == 0;
  header.shape = parseShape(dict, path);
  header.dataOffset = headerStart + length;
  return header;
}

std::string encodeNpyHeader(const std::vector<int64_t> &shape, NpyDtype dtype) {
  std::string dict =
      std::string("{'descr': '") + npyDescr(dtype) + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    dict += std::to_string(shape[i]) + (shape.size() == 1 ? "," : i + 1 < shape.size() ? ", " : "");
  dict += "), }";
  bool v2 = dict.size() + 11 > 65535;
  size_t prefix = v2 ? 12 : 10;
  size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  size_t length = dict.size();
  for (size_t i = 0; i < (v2 ? 4u : 2u); ++i)
    out += static_cast<char>((length >> (8 * i)) & 0xff);
  return out + dict;
}

void readNpySlab(const std::string &path, const NpyHeader &header, const Slab &slab, float *dst,
                 NpyDtype dtype) {
  checkSlab(header.shape, slab);
  File file(path, O_RDONLY);
  size_t size = dtypeBytes(dtype);
  struct stat info;
  if (::fstat(file.fd(), &info) != 0 ||
      static_cast<uint64_t>(info.st_size) < header.dataOffset + size * elementCount(header.shape))
    raise("'", path, "' is shorter than its header says");
  std::vector<char> raw;
  forEachRun(header.shape, slab, [&](int64_t at, int64_t local, int64_t count) {
    if (dtype == NpyDtype::Float32) {
      readExactly(file.fd(), dst + local, count * sizeof(float), header.dataOffset + at * 4, path);
      return;
    }
    raw.resize(count * size);
    readExactly(file.fd(), raw.data(), raw.size(), header.dataOffset + at * size, path);
    toFloat(raw.data(), dtype, count, dst + local, path);
  });
}

void createNpyFile(const std::string &path, const std::vector<int64_t> &shape, NpyDtype dtype) {
  File file(path, O_WRONLY | O_CREAT | O_TRUNC);
  std::string header = encodeNpyHeader(shape, dtype);
  writeExactly(file.fd(), header.data(), header.size(), 0, path);
  // Sized up front so slabs written by other ranks never race on the length.
  if (::ftruncate(file.fd(), header.size() + dtypeBytes(dtype) * elementCount(shape)) != 0)
    raise("cannot size '", path, "': ", std::strerror(errno));
}

void writeNpySlab(const std::string &path, const std::vector<int64_t> &shape, const Slab &slab,
                  const float *src, NpyDtype dtype) {
  checkSlab(shape, slab);
  File file(path, O_WRONLY);
  size_t dataOffset = encodeNpyHeader(shape, dtype).size(), size = dtypeBytes(dtype);
  std::vector<char> raw;
  forEachRun(shape, slab, [&](int64_t at, int64_t local, int64_t count) {
    raw.resize(count * size);
    fromFloat(src + local, dtype, count, raw.data());
    writeExactly(file.fd(), raw.data(), raw.size(), dataOffset + at * size, path);
  });
}

} // namespace quilt
