#include "dnnl_util.h"
#include "error.h"

#include <cstdlib>

namespace quilt {

dnnl::engine &dnnlEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream &dnnlStream() {
  static dnnl::stream stream(dnnlEngine());
  return stream;
}

void *dnnlScratch(ScratchSlot slot, size_t bytes) {
  struct Buffer {
    void *data = nullptr;
    size_t bytes = 0;
    ~Buffer() { std::free(data); }
  };
  static Buffer buffers[static_cast<int>(ScratchSlot::Count)];
  Buffer &b = buffers[static_cast<int>(slot)];
  if (bytes > b.bytes) {
    std::free(b.data);
    size_t rounded = (bytes + 63) / 64 * 64;
    b.data = std::aligned_alloc(64, rounded);
    if (!b.data)
      raise("cannot allocate ", rounded, " bytes of oneDNN scratch memory");
    b.bytes = rounded;
  }
  return b.data;
}

} // namespace quilt
