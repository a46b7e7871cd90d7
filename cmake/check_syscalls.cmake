# Fails when code outside the sys layer's sources makes a socket byte system call (issue 10:
# "only one layer makes the send/recv system calls"). Prints file:line of every offender.
#   cmake -DROOT=<tree> -P check_syscalls.cmake
#
# Scanned: ROOT/src, ROOT/apps and ROOT/include (*.cpp, *.hpp, *.cc, *.h), except ROOT/src/sys/,
# whose files are the one place these calls live (their public forms are sockit/sys/*.hpp:
# io.hpp, socket.hpp, accept.hpp, sendfile.hpp; src/sys/stream_io.hpp for the hot loops of the
# event loop's Connection and of the bench engine).
#
# The rule: a call of one of these functions through the global qualifier, `::send(`, which is
# how sockit writes every system call. Not matched, on purpose:
#   - a member or other namespace's function of the same name (`Client::send(`, `stream_io::receive(`,
#     `tls->recv(`): the `::` must not follow a name;
#   - plain ::read, ::write and ::pread: reading regular files, stdin, pipes, eventfd and
#     signalfd (apps/sockit reading stdin, async/loop.cpp's eventfd, net/interfaces.cpp's /proc
#     files) is not socket traffic and stays where it is;
#   - whole-line comments (a line starting with // or *).
cmake_minimum_required(VERSION 3.25)
if(NOT ROOT)
  message(FATAL_ERROR "usage: cmake -DROOT=<tree> -P check_syscalls.cmake")
endif()
get_filename_component(ROOT "${ROOT}" ABSOLUTE)

set(calls recv send sendmsg recvmsg sendto recvfrom sendmmsg recvmmsg readv writev sendfile
  splice tee vmsplice accept accept4)
list(JOIN calls "|" call_alt)
set(call_re "(^|[^A-Za-z0-9_:])::(${call_alt})[ \t]*\\(")

set(globs)
foreach(dir src apps include)
  foreach(ext cpp hpp cc h)
    list(APPEND globs ${ROOT}/${dir}/*.${ext})
  endforeach()
endforeach()
file(GLOB_RECURSE files ${globs})
list(SORT files)

set(bad 0)
set(scanned 0)
foreach(file IN LISTS files)
  file(RELATIVE_PATH rel ${ROOT} ${file})
  if(rel MATCHES "^src/sys/")
    continue()
  endif()
  math(EXPR scanned "${scanned} + 1")
  # Cheap filter first: most files have no candidate line at all.
  file(STRINGS ${file} hits REGEX "${call_re}")
  if(NOT hits)
    continue()
  endif()
  # Line numbers: split the file on newlines into a list; characters that CMake lists treat
  # specially (; [ ] \) are masked first so that every line stays exactly one element.
  file(READ ${file} text)
  string(REPLACE "\\" "<bs>" text "${text}")
  string(REPLACE ";" "<sc>" text "${text}")
  string(REPLACE "[" "<lb>" text "${text}")
  string(REPLACE "]" "<rb>" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    if(line MATCHES "${call_re}" AND NOT line MATCHES "^[ \t]*(//|\\*)")
      string(REGEX MATCH "::(${call_alt})[ \t]*\\(" _ "${line}")
      set(what "${CMAKE_MATCH_1}")
      string(STRIP "${line}" shown)
      string(REPLACE "<sc>" ";" shown "${shown}")
      string(REPLACE "<bs>" "\\" shown "${shown}")
      string(REPLACE "<lb>" "[" shown "${shown}")
      string(REPLACE "<rb>" "]" shown "${shown}")
      message(NOTICE "${rel}:${number}: ::${what}() outside src/sys/: ${shown}")
      math(EXPR bad "${bad} + 1")
    endif()
  endforeach()
endforeach()
if(bad GREATER 0)
  message(FATAL_ERROR "${bad} socket system call(s) outside src/sys/: move each into a sys/ "
    "function (sockit/sys/io.hpp, socket.hpp, accept.hpp, sendfile.hpp)")
endif()
message(STATUS "syscalls: ${scanned} files outside src/sys/ make no socket system call")
