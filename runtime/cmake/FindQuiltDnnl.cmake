# Provides DNNL::dnnl. oneDNN's own package config is used when it can load,
# but Debian's libdnnl-dev config demands OpenCL development files even for
# CPU use, so without them the library and header are found directly.
if(TARGET DNNL::dnnl)
  return()
endif()

find_package(OpenCL QUIET)
if(OpenCL_FOUND)
  find_package(dnnl CONFIG QUIET)
endif()
if(TARGET DNNL::dnnl)
  return()
endif()

find_library(QUILT_DNNL_LIBRARY NAMES dnnl REQUIRED)
find_path(QUILT_DNNL_INCLUDE_DIR NAMES dnnl.hpp oneapi/dnnl/dnnl.hpp REQUIRED)
add_library(DNNL::dnnl SHARED IMPORTED GLOBAL)
set_target_properties(DNNL::dnnl PROPERTIES
  IMPORTED_LOCATION "${QUILT_DNNL_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${QUILT_DNNL_INCLUDE_DIR}")
message(STATUS "oneDNN: ${QUILT_DNNL_LIBRARY}")
