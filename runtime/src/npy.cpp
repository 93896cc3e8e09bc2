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

constexpr double kExactFloatInteger = 16777216.0; // 2^24

/// Converts `count` elements of `dtype` at `raw` to float32.
void toFloat(const char *raw, NpyDtype dtype, int64_t count, float *dst, const std::string &path) {
  for (int64_t i = 0; i < count; ++i) {
    const char *p = raw + i * dtypeBytes(dtype);
    double v;
    switch (dtype) {
    case NpyDtype::Float32:
      std::memcpy(&dst[i], p, 4);
      continue;
    case NpyDtype::Float64: {
      std::memcpy(&v, p, 8);
      dst[i] = static_cast<float>(v);
      continue;
    }
    case NpyDtype::Int64: {
      int64_t x;
      std::memcpy(&x, p, 8);
      v = static_cast<double>(x);
      break;
    }
    case NpyDtype::Int32: {
      int32_t x;
      std::memcpy(&x, p, 4);
      v = x;
      break;
    }
    case NpyDtype::Bool:
      v = *p != 0;
      break;
    }
    if (std::fabs(v) > kExactFloatInteger)
      raise("'", path, "': integer ", static_cast<int64_t>(v), " exceeds 2^24, beyond what "
            "Quilt's float32 compute holds exactly");
    dst[i] = static_cast<float>(v);
  }
}

/// Converts `count` float32 values to `dtype` at `raw`.
void fromFloat(const float *src, NpyDtype dtype, int64_t count, char *raw) {
  for (int64_t i = 0; i < count; ++i) {
    char *p = raw + i * dtypeBytes(dtype);
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
    case NpyDtype::Int64: {
      int64_t x = std::isfinite(v) ? static_cast<int64_t>(std::nearbyint(v)) : 0;
      std::memcpy(p, &x, 8);
      break;
    }
    case NpyDtype::Int32: {
      int32_t x = std::isfinite(v) ? static_cast<int32_t>(std::nearbyint(v)) : 0;
      std::memcpy(p, &x, 4);
      break;
    }
    case NpyDtype::Bool:
      *p = v != 0;
      break;
    }
  }
}

} // namespace

bool parseDtypeName(const std::string &name, NpyDtype &dtype) {
  for (NpyDtype d : {NpyDtype::Float32, NpyDtype::Float64, NpyDtype::Int64, NpyDtype::Int32,
                     NpyDtype::Bool})
    if (name == dtypeName(d)) {
      dtype = d;
      return true;
    }
  return false;
}

const char *dtypeName(NpyDtype dtype) {
  switch (dtype) {
  case NpyDtype::Float32:
    return "float32";
  case NpyDtype::Float64:
    return "float64";
  case NpyDtype::Int64:
    return "int64";
  case NpyDtype::Int32:
    return "int32";
  case NpyDtype::Bool:
    return "bool";
  }
  return "float32";
}

const char *npyDescr(NpyDtype dtype) {
  switch (dtype) {
  case NpyDtype::Float32:
    return "<f4";
  case NpyDtype::Float64:
    return "<f8";
  case NpyDtype::Int64:
    return "<i8";
  case NpyDtype::Int32:
    return "<i4";
  case NpyDtype::Bool:
    return "|b1";
  }
  return "<f4";
}

size_t dtypeBytes(NpyDtype dtype) {
  switch (dtype) {
  case NpyDtype::Float64:
  case NpyDtype::Int64:
    return 8;
  case NpyDtype::Bool:
    return 1;
  default:
    return 4;
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
