# keops_add_kernel_library(TARGET name SOURCE file.mlir
#                          [PREFIX symbol_prefix] [HEADER name.h]
#                          [LANES n] [BLOCKS n] [ACCUMULATION plain|block|kahan|f64]
#                          [OPT_LEVEL 0-3] [NO_APPROXIMATE_MATH]
#                          [OPTIONS extra keops-compile options...])
#
# Compiles the keops reductions of `file.mlir` at build time with
# keops-compile into the shared library lib<name>.so and the C header
# <name>.h (or HEADER), both in ${CMAKE_CURRENT_BINARY_DIR}/keops/<name>/.
# `name` becomes an imported library target: linking it adds the header's
# directory to the include path. The header documents each kernel and
# declares NAME (the raw kernel), NAME_run and NAME_run_threads.
#
# The kernels are compiled for the CPU of the build machine (its vector
# extensions included): run the program on that kind of CPU.

function(keops_add_kernel_library)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "NO_APPROXIMATE_MATH"
    "TARGET;SOURCE;PREFIX;HEADER;LANES;BLOCKS;ACCUMULATION;OPT_LEVEL" "OPTIONS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
      "keops_add_kernel_library: unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_TARGET OR NOT ARG_SOURCE)
    message(FATAL_ERROR
      "keops_add_kernel_library: TARGET and SOURCE are required")
  endif()
  if(NOT TARGET KeopsMLIR::keops-compile)
    message(FATAL_ERROR
      "keops_add_kernel_library: KeopsMLIR::keops-compile is not defined "
      "(find_package(KeopsMLIR) first)")
  endif()

  get_filename_component(source "${ARG_SOURCE}" ABSOLUTE
                         BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/keops/${ARG_TARGET}")
  file(MAKE_DIRECTORY "${dir}")
  set(library "${dir}/lib${ARG_TARGET}.so")
  if(ARG_HEADER)
    set(header "${dir}/${ARG_HEADER}")
  else()
    set(header "${dir}/${ARG_TARGET}.h")
  endif()

  set(args)
  if(ARG_PREFIX)
    list(APPEND args --prefix "${ARG_PREFIX}")
  endif()
  if(DEFINED ARG_LANES)
    list(APPEND args "--lanes=${ARG_LANES}")
  endif()
  if(DEFINED ARG_BLOCKS)
    list(APPEND args "--blocks=${ARG_BLOCKS}")
  endif()
  if(ARG_ACCUMULATION)
    list(APPEND args "--accumulation=${ARG_ACCUMULATION}")
  endif()
  if(DEFINED ARG_OPT_LEVEL)
    list(APPEND args "--opt-level=${ARG_OPT_LEVEL}")
  endif()
  if(ARG_NO_APPROXIMATE_MATH)
    list(APPEND args "--approximate-math=false")
  endif()
  # Link with the project's C compiler when it has one.
  if(CMAKE_C_COMPILER)
    list(APPEND args --cc "${CMAKE_C_COMPILER}")
  endif()
  list(APPEND args ${ARG_OPTIONS})

  add_custom_command(
    OUTPUT "${library}" "${header}"
    COMMAND KeopsMLIR::keops-compile "${source}" -o "${library}"
            --header "${header}" ${args}
    DEPENDS "${source}" "$<TARGET_FILE:KeopsMLIR::keops-compile>"
    COMMENT "keops-compile ${ARG_SOURCE} -> lib${ARG_TARGET}.so"
    VERBATIM)
  add_custom_target(${ARG_TARGET}_keops_compile
    DEPENDS "${library}" "${header}")

  add_library(${ARG_TARGET} SHARED IMPORTED GLOBAL)
  set_target_properties(${ARG_TARGET} PROPERTIES
    IMPORTED_LOCATION "${library}"
    IMPORTED_SONAME "lib${ARG_TARGET}.so"
    INTERFACE_INCLUDE_DIRECTORIES "${dir}")
  add_dependencies(${ARG_TARGET} ${ARG_TARGET}_keops_compile)
  set(${ARG_TARGET}_HEADER "${header}" PARENT_SCOPE)
  set(${ARG_TARGET}_LIBRARY "${library}" PARENT_SCOPE)
endfunction()
