# Provides FFTW::fftw3f and QUILT_FFTW3F_LIBRARY: FFTW 3 in single precision
# (Debian: libfftw3-dev). Found directly: FFTW's CMake package config is not
# installed by every distribution (Debian ships none).
if(TARGET FFTW::fftw3f)
  return()
endif()

find_library(QUILT_FFTW3F_LIBRARY NAMES fftw3f REQUIRED)
find_path(QUILT_FFTW3_INCLUDE_DIR NAMES fftw3.h REQUIRED)
add_library(FFTW::fftw3f SHARED IMPORTED GLOBAL)
set_target_properties(FFTW::fftw3f PROPERTIES
  IMPORTED_LOCATION "${QUILT_FFTW3F_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${QUILT_FFTW3_INCLUDE_DIR}")
message(STATUS "FFTW (float): ${QUILT_FFTW3F_LIBRARY}")
