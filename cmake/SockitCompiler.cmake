# Compiler settings shared by every target of ours.
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)

# Our warnings: linked PRIVATE to our own targets only, never exported with sockit::sockit.
add_library(sockit_warnings INTERFACE)
target_compile_options(sockit_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough
  $<$<BOOL:${SOCKIT_WERROR}>:-Werror>)
# g++ 12 at -O1 with sanitizers reports false null dereferences inside CLI11's headers
# (CLI/StringTools.hpp) and false "may be used uninitialized" through std::variant copies
# (IpAddress), so the sanitizer builds leave these two warnings to the dev preset, which
# keeps them as errors.
if(CMAKE_CXX_FLAGS MATCHES "-fsanitize")
  target_compile_options(sockit_warnings INTERFACE -Wno-maybe-uninitialized)
else()
  target_compile_options(sockit_warnings INTERFACE -Wnull-dereference)
endif()

# libstdc++ 12 guards std::expected on __cpp_concepts >= 202002L, which clang 14/16 do not
# define (they report 201907L) although they compile the header fine. Decision (see
# docs/decisions.md): clang builds raise the macro. It travels with sockit::sockit, because a
# consumer compiling our headers with clang needs it as much as we do.
add_library(sockit_clang_expected INTERFACE)
target_compile_options(sockit_clang_expected INTERFACE
  $<$<CXX_COMPILER_ID:Clang>:-D__cpp_concepts=202002L;-Wno-macro-redefined;-Wno-builtin-macro-redefined>)
