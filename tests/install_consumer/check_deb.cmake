# Builds the .deb from this build directory with CPack (or takes DEB when given), unpacks it
# with `dpkg -x` into a scratch root (never into the system), and checks it as a user would:
# Depends computed by dpkg-shlibdeps, `sockit --version` from the root, the man page and bash
# completion (both generated from --help), and the find_package and pkg-config consumers built
# against <root>/usr. Fails at the first step that does not work; prints "SKIPPED: ..." when
# dpkg-deb is missing.
cmake_minimum_required(VERSION 3.25)  # new policies in script mode too
find_program(DPKG_DEB dpkg-deb)
find_program(DPKG dpkg)
if(NOT DPKG_DEB OR NOT DPKG)
  message("SKIPPED: dpkg-deb is not installed (Debian package dpkg): cannot build or unpack a .deb")
  return()
endif()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
include(${CMAKE_CURRENT_LIST_DIR}/check_steps.cmake)

if(NOT DEB AND DEFINED ENV{SOCKIT_DEB})
  set(DEB $ENV{SOCKIT_DEB})
endif()
if(NOT DEB)
  run(${CMAKE_COMMAND} -E chdir ${BUILD_DIR} cpack -G DEB --config ${BUILD_DIR}/CPackConfig.cmake
      -B ${WORK_DIR}/pkg)
  file(GLOB DEB ${WORK_DIR}/pkg/sockit_${VERSION}_*.deb)
  list(LENGTH DEB n)
  if(NOT n EQUAL 1)
    message(FATAL_ERROR "expected one sockit_${VERSION}_*.deb in ${WORK_DIR}/pkg, found: ${DEB}")
  endif()
endif()

# Depends: what dpkg-shlibdeps found in the tool (at least the C and C++ runtimes).
run(${DPKG_DEB} -f ${DEB} Package Version Depends)
expect("${last_output}" "Package: sockit\nVersion: ${VERSION}\nDepends: [^\n]*libc6 \\(>= [^\n]*libstdc\\+\\+6 \\(>= " "control fields")
# and libssl-dev, which linking the static library's tls layer needs.
expect("${last_output}" "Depends: [^\n]*libssl-dev \\(>= 3\\.0\\)" "libssl-dev in Depends")

set(root ${WORK_DIR}/root)
run(${DPKG} -x ${DEB} ${root})
run(${root}/usr/bin/sockit --version)
expect("${last_output}" "^sockit ${VERSION}\ncommit: [0-9a-f]+|unknown\nfeatures: " "--version")

foreach(f usr/share/man/man1/sockit.1.gz usr/share/bash-completion/completions/sockit
          usr/include/sockit/sockit.hpp)
  if(NOT EXISTS ${root}/${f})
    message(FATAL_ERROR "the .deb lacks /${f}")
  endif()
endforeach()
file(GLOB_RECURSE found LIST_DIRECTORIES false RELATIVE ${root}/usr
  ${root}/usr/lib/*libsockit.a ${root}/usr/lib/*sockitConfig.cmake ${root}/usr/lib/*sockit.pc)
list(LENGTH found n)
if(NOT n EQUAL 3)
  message(FATAL_ERROR "the .deb should hold libsockit.a, sockitConfig.cmake and sockit.pc: ${found}")
endif()
if(EXISTS ${root}/usr/include/sockit/tools)
  message(FATAL_ERROR "the .deb carries the tool-side headers include/sockit/tools")
endif()

# The man page has a section for every command the tool lists, with that command's options.
run(gzip -dc ${root}/usr/share/man/man1/sockit.1.gz)
set(man "${last_output}")
expect("${man}" "\n\\.TH SOCKIT 1 \"\" \"sockit ${VERSION}\"" "man page header")
run(${root}/usr/bin/sockit --help)
string(REGEX MATCH "\nCommands:\n(  [a-z]+ +[^\n]*\n)+" commands "${last_output}")
string(REGEX MATCHALL "\n  [a-z]+" commands "${commands}")
list(LENGTH commands n)
if(n LESS 7)
  message(FATAL_ERROR "sockit --help lists only ${n} commands: ${commands}")
endif()
foreach(c IN LISTS commands)
  string(STRIP "${c}" c)
  expect("${man}" "\n\\.SS \"sockit ${c}\"\n" "man page section for ${c}")
endforeach()
expect("${man}" "\\\\-w,\\\\-\\\\-connect\\\\-timeout" "man page: connect's options")
find_program(GROFF groff)
if(GROFF)
  execute_process(COMMAND gzip -dc ${root}/usr/share/man/man1/sockit.1.gz
    COMMAND ${GROFF} -man -ww -z ERROR_VARIABLE warnings RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT "${warnings}" STREQUAL "")
    message(FATAL_ERROR "groff reports problems in the man page (${rc}):\n${warnings}")
  endif()
endif()

# Completion: commands, a command's options, an option's listed values, a command's words.
# The driver takes the completion file and the words; the last word is the one being completed,
# "<>" for an empty one (CMake drops empty arguments).
set(completion ${root}/usr/share/bash-completion/completions/sockit)
file(WRITE ${WORK_DIR}/complete.sh [=[
source "$1"
shift
COMP_WORDS=("$@")
[[ ${COMP_WORDS[-1]} == '<>' ]] && COMP_WORDS[-1]=''
COMP_CWORD=$(($# - 1))
_sockit
echo "${COMPREPLY[*]}"
]=])
function(complete expected)
  run(bash ${WORK_DIR}/complete.sh ${completion} ${ARGN})
  string(STRIP "${last_output}" got)
  if(NOT got STREQUAL expected)
    message(FATAL_ERROR "completion of '${ARGN}': expected '${expected}', got '${got}'")
  endif()
endfunction()
complete("connect" sockit con)
complete("--connect-timeout" sockit connect --connect-t)
complete("none line len32" sockit connect --frame "<>")
complete("tcp udp" sockit bench "<>")
complete("scan serve" sockit help s)
complete("" sockit connect 127.0.0.1 "<>")

# find_package(sockit) and pkg-config, against the unpacked root only.
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install_consumer -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${root}/usr -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_CXX_FLAGS=${CXXFLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LDFLAGS}")
file(STRINGS ${WORK_DIR}/build/CMakeCache.txt sockit_dir REGEX "^sockit_DIR:")
expect("${sockit_dir}" "=${root}/usr/lib/" "find_package(sockit) location")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
expect("${last_output}" "consumer check: Connection refused \\(nothing listens on that port\\)" "consumer")
file(GLOB_RECURSE pc ${root}/usr/lib/*sockit.pc)
get_filename_component(pc_dir ${pc} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
# --static: libsockit.a is an archive, so its private requirements (OpenSSL) are needed too.
run(pkg-config --static --cflags --libs sockit)
string(STRIP "${last_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
separate_arguments(extra UNIX_COMMAND "${CXXFLAGS} ${LDFLAGS}")
run(${CXX} ${SOURCE_DIR}/tests/install_consumer/main.cpp ${flags} ${extra} -o ${WORK_DIR}/consumer_pc)
run(${WORK_DIR}/consumer_pc)
message(STATUS "deb: ${DEB} unpacks and works: --version, man page, completion, find_package, pkg-config")
