// Errors inside the runtime are exceptions carrying one line of text; the C
// entry points and the executable's main turn them into a message and an exit.
#ifndef QUILT_RUNTIME_ERROR_H
#define QUILT_RUNTIME_ERROR_H

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace quilt {

class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

template <class... Args> std::string strCat(const Args &...args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

template <class... Args> [[noreturn]] void raise(const Args &...args) {
  throw Error(strCat(args...));
}

/// "(1, 3, 8)": how shapes appear in messages (numpy's spelling).
inline std::string shapeString(const std::vector<int64_t> &shape) {
  std::ostringstream out;
  out << '(';
  for (size_t i = 0; i < shape.size(); ++i)
    out << (i ? ", " : "") << shape[i];
  out << (shape.size() == 1 ? ",)" : ")");
  return out.str();
}

} // namespace quilt

#endif // QUILT_RUNTIME_ERROR_H
