# The NCCL-over-MPI shim (src/emulation/nccl_over_mpi.cpp): NCCL's C API on
# host memory over MPI, compiled against the real nccl.h, so that the NCCL
# communicator runs and is tested under mpirun on machines without a GPU.
# Needs only the headers (nccl.h includes cuda_runtime.h); links neither
# libnccl nor libcudart. Without nccl.h it defines nothing.
find_path(QUILT_NCCL_INCLUDE_DIR nccl.h HINTS /usr/local/cuda/include)
find_path(QUILT_CUDA_RUNTIME_INCLUDE_DIR cuda_runtime.h HINTS /usr/local/cuda/include)
if(NOT QUILT_NCCL_INCLUDE_DIR OR NOT QUILT_CUDA_RUNTIME_INCLUDE_DIR)
  message(STATUS "nccl.h or cuda_runtime.h not found: no NCCL-over-MPI shim")
  unset(QUILT_HAVE_NCCL_HEADERS CACHE)
  return()
endif()
set(QUILT_HAVE_NCCL_HEADERS ON CACHE INTERNAL "nccl.h and cuda_runtime.h were found")
if(NOT TARGET MPI::MPI_CXX)
  find_package(MPI REQUIRED COMPONENTS CXX)
endif()

set(quilt_nccl_shim_dir ${CMAKE_CURRENT_LIST_DIR}/..)
add_library(quilt_nccl_shim STATIC ${quilt_nccl_shim_dir}/src/emulation/nccl_over_mpi.cpp)
target_compile_features(quilt_nccl_shim PUBLIC cxx_std_17)
set_target_properties(quilt_nccl_shim PROPERTIES
  POSITION_INDEPENDENT_CODE ON
  ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
# SYSTEM: the CUDA headers nccl.h pulls in are not held to -Wall -Wextra.
target_include_directories(quilt_nccl_shim SYSTEM PUBLIC
  ${QUILT_NCCL_INCLUDE_DIR} ${QUILT_CUDA_RUNTIME_INCLUDE_DIR})
target_compile_definitions(quilt_nccl_shim PRIVATE OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)
target_compile_options(quilt_nccl_shim PRIVATE -Wall -Wextra)
target_link_libraries(quilt_nccl_shim PUBLIC MPI::MPI_CXX)

if(QUILT_RUNTIME_BUILD_TESTS)
  find_package(GTest REQUIRED)
  find_program(QUILT_MPIEXEC NAMES mpirun mpiexec HINTS ${MPIEXEC_EXECUTABLE})
  enable_testing()
  # Root in containers, and more ranks than cores on small machines.
  set(quilt_nccl_shim_mpirun ${QUILT_MPIEXEC} --allow-run-as-root --oversubscribe)

  add_executable(quilt_nccl_shim_tests ${quilt_nccl_shim_dir}/tests/nccl_shim_test.cpp)
  target_compile_definitions(quilt_nccl_shim_tests PRIVATE OMPI_SKIP_MPICXX=1
                             MPICH_SKIP_MPICXX=1)
  target_compile_options(quilt_nccl_shim_tests PRIVATE -Wall -Wextra)
  target_link_libraries(quilt_nccl_shim_tests PRIVATE quilt_nccl_shim GTest::gtest)
  foreach(ranks 1 2 3 4)
    add_test(NAME runtime_nccl_shim_np${ranks}
             COMMAND ${quilt_nccl_shim_mpirun} -n ${ranks} $<TARGET_FILE:quilt_nccl_shim_tests>)
    set_tests_properties(runtime_nccl_shim_np${ranks} PROPERTIES TIMEOUT 120)
  endforeach()

  # The pairing checker must abort the job with its one-line message; the
  # expression, not mpirun's (non-zero) exit code, decides the result.
  add_executable(quilt_nccl_shim_mismatch ${quilt_nccl_shim_dir}/tests/nccl_shim_mismatch.cpp)
  target_compile_definitions(quilt_nccl_shim_mismatch PRIVATE OMPI_SKIP_MPICXX=1
                             MPICH_SKIP_MPICXX=1)
  target_compile_options(quilt_nccl_shim_mismatch PRIVATE -Wall -Wextra)
  target_link_libraries(quilt_nccl_shim_mismatch PRIVATE quilt_nccl_shim)
  foreach(mismatch short long self)
    if(mismatch STREQUAL "short")
      set(test_name runtime_nccl_shim_mismatch)
    else()
      set(test_name runtime_nccl_shim_mismatch_${mismatch})
    endif()
    add_test(NAME ${test_name}
             COMMAND ${quilt_nccl_shim_mpirun} -n 2 $<TARGET_FILE:quilt_nccl_shim_mismatch>
                     ${mismatch})
    set_tests_properties(${test_name} PROPERTIES TIMEOUT 60
      PASS_REGULAR_EXPRESSION "received .* bytes from peer .* where .* were posted")
  endforeach()
endif()
