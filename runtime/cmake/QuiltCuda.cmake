# The real CUDA device (src/device/cuda/) compiled by nvcc for sm_90: a
# compile gate CI runs without a GPU (nvcc and cudart are all it needs), plus
# tests of what a machine without a driver must do (fail at once with one
# line, never need libcuda.so). Without nvcc it defines nothing.
#
# The same file is the ctest helper script: `cmake -DQUILT_CUDA_CHECK=...
# -P QuiltCuda.cmake` (the block below), so the checks live next to the
# flags they check.

if(CMAKE_SCRIPT_MODE_FILE)
  # Lists arrive '|'-separated (a ';' would split the test's arguments).
  string(REPLACE "|" ";" INCLUDE_DIRS "${INCLUDE_DIRS}")
  string(REPLACE "|" ";" MPIRUN "${MPIRUN}")
  # ptxas: every kernel of the library compiled for sm_90 with -v; each
  # "N bytes spill stores, M bytes spill loads" must be 0 (the build turns
  # spills into errors too; this test prints the figures).
  if(QUILT_CUDA_CHECK STREQUAL "ptxas")
    set(include_flags)
    foreach(dir IN LISTS INCLUDE_DIRS)
      list(APPEND include_flags -I${dir})
    endforeach()
    execute_process(
      COMMAND ${NVCC} -std=c++17 --expt-relaxed-constexpr -cubin -arch=sm_90 -Xptxas -v
              ${include_flags} ${SOURCE}
              -o ${WORK_DIR}/quilt_cuda_device_ptxas_check.cubin
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "nvcc -Xptxas -v failed (${rc}):\n${out}${err}")
    endif()
    string(REPLACE "\n" ";" lines "${out}${err}")
    set(function "")
    set(functions 0)
    set(spilling 0)
    foreach(line IN LISTS lines)
      if(line MATCHES "Function properties for ([^ ]+)")
        set(function ${CMAKE_MATCH_1})
        if(CXXFILT)
          execute_process(COMMAND ${CXXFILT} ${function} OUTPUT_VARIABLE function
                          OUTPUT_STRIP_TRAILING_WHITESPACE)
        endif()
      elseif(line MATCHES
             "([0-9]+) bytes stack frame, ([0-9]+) bytes spill stores, ([0-9]+) bytes spill loads")
        set(stack ${CMAKE_MATCH_1})
        set(stores ${CMAKE_MATCH_2})
        set(loads ${CMAKE_MATCH_3})
        if(NOT stores EQUAL 0 OR NOT loads EQUAL 0)
          math(EXPR spilling "${spilling} + 1")
        endif()
      elseif(line MATCHES "Used ([0-9]+) registers")
        message("${function}: ${CMAKE_MATCH_1} registers, ${stack} bytes stack frame, "
                "${stores} bytes spill stores, ${loads} bytes spill loads")
        math(EXPR functions "${functions} + 1")
      endif()
    endforeach()
    # One runKernel<K> per kernel of QUILT_DEVICE_KERNELS (device/kernel_list.h
    # and the group lists it includes, kernels/*_kernel_list.h): a kernel
    # missing from the output was not compiled, so not checked.
    file(GLOB kernel_list_files ${SOURCE_ROOT}/device/kernel_list.h
         ${SOURCE_ROOT}/kernels/*_kernel_list.h)
    set(listed)
    foreach(list_file IN LISTS kernel_list_files)
      file(READ ${list_file} kernel_list)
      # Comments may show the X(Kernel) syntax.
      string(REGEX REPLACE "//[^\n]*" "" kernel_list "${kernel_list}")
      string(REGEX MATCHALL "X\\(([A-Za-z0-9_]+)\\)" entries "${kernel_list}")
      list(APPEND listed ${entries})
    endforeach()
    set(kernels 0)
    foreach(entry IN LISTS listed)
      string(REGEX REPLACE "X\\((.*)\\)" "\\1" kernel "${entry}")
      string(LENGTH "${kernel}" length)
      # Itanium mangling: runKernel<quilt::K> holds "<length of K>KE".
      set(entry_pattern "Compiling entry function '[^']*runKernel[^']*${length}${kernel}E")
      if(NOT "${out}${err}" MATCHES "${entry_pattern}")
        message(FATAL_ERROR "ptxas compiled no runKernel<${kernel}> entry function")
      endif()
      math(EXPR kernels "${kernels} + 1")
    endforeach()
    if(kernels EQUAL 0)
      message(FATAL_ERROR "no kernels found in ${kernel_list_files}")
    endif()
    if(spilling GREATER 0)
      message(FATAL_ERROR "${spilling} function(s) spill registers to local memory")
    endif()
    message("sm_90: ${functions} functions (${kernels} kernels listed), no spills")

  # The program without a driver: exit 1 and exactly one line naming the
  # cudaGetDeviceCount error; with a GPU its checks must pass instead.
  elseif(QUILT_CUDA_CHECK STREQUAL "no_gpu")
    string(TIMESTAMP started "%s")
    execute_process(COMMAND ${PROGRAM} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                    ERROR_VARIABLE err TIMEOUT 10)
    string(TIMESTAMP ended "%s")
    math(EXPR seconds "${ended} - ${started}")
    message("exit ${rc} after ${seconds} s; stdout: ${out}stderr: ${err}")
    if(rc EQUAL 0 AND out MATCHES "GPU checks passed")
      message("a GPU is present and its checks passed")
    elseif(NOT rc EQUAL 1)
      message(FATAL_ERROR "expected exit code 1 without a GPU, got ${rc}")
    elseif(NOT err MATCHES
           "^quilt: error: CUDA cudaGetDeviceCount: cudaError[A-Za-z]+ \\([^\n]*\\)\n$")
      message(FATAL_ERROR "expected exactly one line 'quilt: error: CUDA cudaGetDeviceCount: "
                          "cudaError... (...)' on stderr")
    endif()

  # Every rank under mpirun -n RANKS: the line (or the GPU checks) on each.
  elseif(QUILT_CUDA_CHECK STREQUAL "no_gpu_ranks")
    string(TIMESTAMP started "%s")
    execute_process(COMMAND ${MPIRUN} -n ${RANKS} ${PROGRAM} --expect-no-gpu
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 10)
    string(TIMESTAMP ended "%s")
    math(EXPR seconds "${ended} - ${started}")
    message("mpirun exit ${rc} after ${seconds} s; stdout: ${out}stderr: ${err}")
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "expected every rank to exit 0 with --expect-no-gpu, mpirun gave ${rc}")
    endif()
    string(REGEX MATCHALL "quilt: error: CUDA cudaGetDeviceCount: cudaError[A-Za-z]+ \\("
           no_gpu_lines "${out}${err}")
    string(REGEX MATCHALL "GPU checks passed" passed_lines "${out}${err}")
    list(LENGTH no_gpu_lines no_gpu_count)
    list(LENGTH passed_lines passed_count)
    math(EXPR reported "${no_gpu_count} + ${passed_count}")
    if(NOT reported EQUAL RANKS)
      message(FATAL_ERROR "expected ${RANKS} ranks to report, ${no_gpu_count} printed the "
                          "CUDA error and ${passed_count} passed the GPU checks")
    endif()

  # A driver-API dependency would make the binary unable to start where
  # libcuda.so.1 is missing (research note, section 1): cudart loads it lazily.
  elseif(QUILT_CUDA_CHECK STREQUAL "no_libcuda")
    execute_process(COMMAND ${READELF} -d ${PROGRAM} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                    ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "readelf -d ${PROGRAM} failed (${rc}): ${err}")
    endif()
    string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*" needed "${out}")
    string(REPLACE ";" "\n" needed_lines "${needed}")
    message("${needed_lines}")
    if(out MATCHES "\\[libcuda\\.so")
      message(FATAL_ERROR "${PROGRAM} needs libcuda.so: it would not start without a driver")
    endif()
  else()
    message(FATAL_ERROR "unknown QUILT_CUDA_CHECK '${QUILT_CUDA_CHECK}'")
  endif()
  return()
endif()

# The toolkit's usual place when neither the cache nor CUDACXX names nvcc.
if(NOT DEFINED CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX}
   AND EXISTS /usr/local/cuda/bin/nvcc)
  set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
endif()
include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  message(STATUS "No CUDA compiler: no CUDA device library (quilt_cuda_device)")
  return()
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)
message(STATUS "CUDA device library for sm_90 with nvcc ${CMAKE_CUDA_COMPILER_VERSION}")

get_filename_component(quilt_cuda_dir ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)
set(quilt_cuda_include_dirs ${quilt_cuda_dir}/src ${quilt_cuda_dir}/src/device
    ${quilt_cuda_dir}/src/device/cuda ${quilt_cuda_dir}/include)

add_library(quilt_cuda_device STATIC ${quilt_cuda_dir}/src/device/cuda/cuda_device.cu)
set_target_properties(quilt_cuda_device PROPERTIES
  CUDA_STANDARD 17
  CUDA_STANDARD_REQUIRED ON
  POSITION_INDEPENDENT_CODE ON
  # The -gencode flags below name the targets. Never "native" or CMake's
  # default: without a GPU both silently give sm_75 (research note, 1).
  CUDA_ARCHITECTURES OFF
  ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
target_include_directories(quilt_cuda_device PUBLIC ${quilt_cuda_include_dirs})
target_compile_options(quilt_cuda_device PRIVATE
  # sm_90 machine code for the H200, and compute_90 PTX that newer GPUs JIT.
  # Two one-word flags rather than code=[sm_90,compute_90]: no brackets for
  # the shell to glob, and no repeated "-gencode" word for CMake to fold.
  $<$<COMPILE_LANGUAGE:CUDA>:-gencode=arch=compute_90,code=sm_90>
  $<$<COMPILE_LANGUAGE:CUDA>:-gencode=arch=compute_90,code=compute_90>
  # A register spill is a ptxas warning; all-warnings makes it (and every
  # other nvcc/ptxas warning) an error (checked: a kernel limited to 24
  # registers fails with "ptxas error: Registers are spilled...").
  $<$<COMPILE_LANGUAGE:CUDA>:SHELL:-Xptxas -warn-spills>
  $<$<COMPILE_LANGUAGE:CUDA>:SHELL:-Werror all-warnings>
  # QUILT_HD bodies may call constexpr functions the standard library
  # declares host-only (std::integral_constant's call, std::min): nvcc
  # rejects those in device code without this flag (kernels/unary_kernels.h).
  $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr>
  # Errors are exceptions whatever a parent project's global flags say.
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-fexceptions,-frtti,-Wall,-Wextra>)
# Static cudart (nvcc's default too): nothing to install next to a model.
# Never CUDA::cuda_driver: a binary that needs libcuda.so.1 cannot start
# where there is no driver, and cudart loads it lazily anyway.
target_link_libraries(quilt_cuda_device PUBLIC CUDA::cudart_static)

if(QUILT_RUNTIME_BUILD_TESTS)
  enable_testing()
  find_program(QUILT_MPIEXEC NAMES mpirun mpiexec HINTS ${MPIEXEC_EXECUTABLE})
  find_program(QUILT_CXXFILT NAMES c++filt)
  if(CMAKE_READELF)
    set(quilt_readelf ${CMAKE_READELF})
  else()
    find_program(QUILT_READELF NAMES readelf REQUIRED)
    set(quilt_readelf ${QUILT_READELF})
  endif()

  # Compiled by the host compiler, as a backend file that constructs the
  # device would be.
  # The GPU check's micro-benchmarks (scripts/gpu-check.sh; needs a GPU).
  add_executable(quilt_cuda_bench ${quilt_cuda_dir}/tests/cuda_bench.cpp)
  target_compile_features(quilt_cuda_bench PRIVATE cxx_std_17)
  target_compile_options(quilt_cuda_bench PRIVATE -Wall -Wextra -fexceptions -frtti)
  target_link_libraries(quilt_cuda_bench PRIVATE quilt_cuda_device CUDA::cublas)

  add_executable(quilt_cuda_no_gpu ${quilt_cuda_dir}/tests/cuda_no_gpu.cpp)
  target_compile_features(quilt_cuda_no_gpu PRIVATE cxx_std_17)
  target_compile_options(quilt_cuda_no_gpu PRIVATE -Wall -Wextra -fexceptions -frtti)
  target_link_libraries(quilt_cuda_no_gpu PRIVATE quilt_cuda_device)

  # The helper block at the top of this file; -D settings must precede -P.
  set(quilt_cuda_script -P ${CMAKE_CURRENT_LIST_FILE})
  # A list would split into separate test arguments: '|' separates the dirs.
  string(REPLACE ";" "|" quilt_cuda_include_arg "${quilt_cuda_include_dirs}")
  add_test(NAME runtime_cuda_ptxas_no_spills
           COMMAND ${CMAKE_COMMAND} -DQUILT_CUDA_CHECK=ptxas -DNVCC=${CMAKE_CUDA_COMPILER}
                   -DSOURCE=${quilt_cuda_dir}/src/device/cuda/cuda_device.cu
                   -DINCLUDE_DIRS=${quilt_cuda_include_arg} -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}
                   -DSOURCE_ROOT=${quilt_cuda_dir}/src
                   -DCXXFILT=${QUILT_CXXFILT} ${quilt_cuda_script})
  set_tests_properties(runtime_cuda_ptxas_no_spills PROPERTIES TIMEOUT 300)

  # TIMEOUT 10: a machine without a driver must fail fast, not hang.
  add_test(NAME runtime_cuda_no_gpu
           COMMAND ${CMAKE_COMMAND} -DQUILT_CUDA_CHECK=no_gpu
                   -DPROGRAM=$<TARGET_FILE:quilt_cuda_no_gpu> ${quilt_cuda_script})
  set_tests_properties(runtime_cuda_no_gpu PROPERTIES TIMEOUT 10)
  if(QUILT_MPIEXEC)
    # Root in containers, and more ranks than cores on small machines.
    string(REPLACE ";" "|" quilt_cuda_mpirun_arg
           "${QUILT_MPIEXEC};--allow-run-as-root;--oversubscribe")
    add_test(NAME runtime_cuda_no_gpu_np2
             COMMAND ${CMAKE_COMMAND} -DQUILT_CUDA_CHECK=no_gpu_ranks -DRANKS=2
                     -DMPIRUN=${quilt_cuda_mpirun_arg}
                     -DPROGRAM=$<TARGET_FILE:quilt_cuda_no_gpu> ${quilt_cuda_script})
    set_tests_properties(runtime_cuda_no_gpu_np2 PROPERTIES TIMEOUT 10)
  endif()

  add_test(NAME runtime_cuda_no_libcuda
           COMMAND ${CMAKE_COMMAND} -DQUILT_CUDA_CHECK=no_libcuda -DREADELF=${quilt_readelf}
                   -DPROGRAM=$<TARGET_FILE:quilt_cuda_no_gpu> ${quilt_cuda_script})
  set_tests_properties(runtime_cuda_no_libcuda PROPERTIES TIMEOUT 60)
endif()
