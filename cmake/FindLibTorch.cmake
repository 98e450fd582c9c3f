# Finds LibTorch and sets VGG2_TORCH_LIBRARIES, VGG2_TORCH_INCLUDES, VGG2_TORCH_LIBDIR and
# VGG2_TORCH_CUDA_LIBRARIES.
# Order: $LIBTORCH (a libtorch folder or a Python torch package folder), Torch_DIR /
# CMAKE_PREFIX_PATH, Debian's libtorch-dev. A CUDA LibTorch whose TorchConfig can't find the CUDA
# toolkit falls back to its include and lib folders.
set(_debian_torch /usr/lib/x86_64-linux-gnu/cmake/Torch)
set(_libtorch "$ENV{LIBTORCH}")
if(_libtorch)
  if(NOT EXISTS "${_libtorch}/share/cmake/Torch/TorchConfig.cmake")
    message(FATAL_ERROR "LIBTORCH=${_libtorch} holds no share/cmake/Torch/TorchConfig.cmake: point it at a libtorch folder or at python3 -c 'import torch,os; print(os.path.dirname(torch.__file__))'")
  endif()
  set(Torch_DIR "${_libtorch}/share/cmake/Torch")
  find_package(Torch QUIET NO_DEFAULT_PATH PATHS "${Torch_DIR}")
  if(NOT Torch_FOUND)
    message(WARNING "find_package(Torch) failed in ${_libtorch} (CUDA toolkit not found?): using its include and lib folders")
    set(TORCH_INCLUDE_DIRS "${_libtorch}/include" "${_libtorch}/include/torch/csrc/api/include")
    set(TORCH_LIBRARIES)
    foreach(_lib torch torch_cpu c10 torch_cuda c10_cuda)
      if(EXISTS "${_libtorch}/lib/lib${_lib}.so")
        list(APPEND TORCH_LIBRARIES "${_libtorch}/lib/lib${_lib}.so")
      endif()
    endforeach()
    # The libstdc++ ABI the libraries were built with, as TorchConfig would have set it (PyTorch
    # wheels before 2.7 used the old one).
    file(STRINGS "${Torch_DIR}/TorchConfig.cmake" _abi REGEX "_GLIBCXX_USE_CXX11_ABI=[01]")
    string(REGEX MATCH "_GLIBCXX_USE_CXX11_ABI=[01]" _abi "${_abi}")
    add_compile_definitions(${_abi})
    set(Torch_FOUND TRUE)
  endif()
else()
  find_package(Torch QUIET)
  if(NOT Torch_FOUND AND EXISTS "${_debian_torch}/TorchConfig.cmake")
    find_package(Torch QUIET NO_DEFAULT_PATH PATHS "${_debian_torch}")
  endif()
endif()
if(NOT Torch_FOUND)
  message(FATAL_ERROR "vgg2-torch: LibTorch not found. Install it with `sudo apt-get install libtorch-dev libopenblas0-pthread` (Debian/Ubuntu), or point LIBTORCH=/path/to/libtorch at a LibTorch folder (e.g. PyTorch's CUDA LibTorch), then rebuild.")
endif()
set(VGG2_TORCH_LIBRARIES ${TORCH_LIBRARIES})
set(VGG2_TORCH_INCLUDES ${TORCH_INCLUDE_DIRS})
# The folder of libtorch.so, for the RPATH: the addon loads without LD_LIBRARY_PATH.
find_library(_torch_so torch PATHS ${TORCH_INSTALL_PREFIX}/lib "${_libtorch}/lib" NO_DEFAULT_PATH)
if(NOT _torch_so)
  find_library(_torch_so torch)
endif()
get_filename_component(VGG2_TORCH_LIBDIR "${_torch_so}" DIRECTORY)
# A CUDA LibTorch's CUDA libraries, named on the link line by path so that --no-as-needed surely
# applies to them: the addon calls nothing in them, and they register the CUDA backend only from
# static initialisers (dropped, CUDA would be "not available"). Empty for a CPU-only LibTorch.
set(VGG2_TORCH_CUDA_LIBRARIES)
foreach(_lib torch_cuda c10_cuda)
  if(EXISTS "${VGG2_TORCH_LIBDIR}/lib${_lib}.so")
    list(APPEND VGG2_TORCH_CUDA_LIBRARIES "${VGG2_TORCH_LIBDIR}/lib${_lib}.so")
  endif()
endforeach()
message(STATUS "vgg2-torch: LibTorch ${Torch_VERSION} from ${VGG2_TORCH_LIBDIR}; CUDA libraries: ${VGG2_TORCH_CUDA_LIBRARIES}")
