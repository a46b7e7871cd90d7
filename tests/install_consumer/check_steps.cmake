# Steps shared by the install checks (check.cmake, check_deb.cmake), run with `cmake -P`.
# run(COMMAND...): runs one step; fails the check with its output when it exits non-zero, and
# leaves its standard output in `last_output`.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

# expect(TEXT PATTERN WHAT): fails the check unless TEXT matches the regular expression.
function(expect text pattern what)
  if(NOT text MATCHES "${pattern}")
    message(FATAL_ERROR "${what}: expected to match '${pattern}', got:\n${text}")
  endif()
endfunction()
