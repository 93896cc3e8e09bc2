# quilt_runtime_link_line(<var> <archive> [LIBRARIES lib...] [NO_HOST_LIBRARIES]):
# one string of absolute library paths and
# flags, usable as `c++ model.o <string> -o model` (or with mpicxx): the
# runtime archive given, a backend's LIBRARIES, oneDNN and FFTW (float; not
# with NO_HOST_LIBRARIES), MPI, the sanitizers' runtimes in a QUILT_SANITIZE
# build, the C++ runtime.

# The file an imported target links, whatever configuration it was imported in.
function(_quilt_imported_location target var)
  get_target_property(location ${target} IMPORTED_LOCATION)
  if(NOT location)
    get_target_property(configs ${target} IMPORTED_CONFIGURATIONS)
    foreach(config IN LISTS configs)
      get_target_property(location ${target} IMPORTED_LOCATION_${config})
      if(location)
        break()
      endif()
    endforeach()
  endif()
  if(NOT location)
    set(location "-ldnnl")
  endif()
  set(${var} "${location}" PARENT_SCOPE)
endfunction()

function(quilt_runtime_link_line var archive)
  cmake_parse_arguments(ARG "NO_HOST_LIBRARIES" "" "LIBRARIES" ${ARGN})
  set(parts "${archive}")
  # Backend libraries (absolute paths); their directories become rpaths.
  foreach(lib IN LISTS ARG_LIBRARIES)
    list(APPEND parts "${lib}")
    if(IS_ABSOLUTE "${lib}")
      get_filename_component(dir "${lib}" DIRECTORY)
      list(APPEND rpaths "${dir}")
    endif()
  endforeach()
  if(NOT ARG_NO_HOST_LIBRARIES)
    _quilt_imported_location(DNNL::dnnl dnnl)
    list(APPEND parts "${dnnl}")
    # FFTW (single precision) for the DFT kernel.
    get_target_property(fftw FFTW::fftw3f IMPORTED_LOCATION)
    list(APPEND parts "${fftw}")
  endif()
  foreach(lib IN LISTS MPI_CXX_LIBRARIES)
    list(APPEND parts "${lib}")
    get_filename_component(dir "${lib}" DIRECTORY)
    list(APPEND rpaths "${dir}")
  endforeach()
  if(MPI_CXX_LINK_FLAGS)
    list(APPEND parts ${MPI_CXX_LINK_FLAGS})
  endif()
  # MPI libraries may live outside the loader's default path.
  list(REMOVE_DUPLICATES rpaths)
  foreach(dir IN LISTS rpaths)
    list(APPEND parts "-Wl,-rpath,${dir}")
  endforeach()
  # The runtime sizes oneDNN's OpenMP thread pool per rank. A sanitized
  # runtime (QUILT_SANITIZE) needs the sanitizers' runtimes in the model too.
  list(APPEND parts ${OpenMP_CXX_FLAGS} ${QUILT_RUNTIME_SANITIZE_LINK_FLAGS} -lstdc++ -lm -lpthread)
  list(JOIN parts " " line)
  set(${var} "${line}" PARENT_SCOPE)
endfunction()
