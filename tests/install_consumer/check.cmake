# Installs the already-built sockit into a scratch prefix, then configures, builds and runs the
# consumer project against it. Fails (non-zero) at the first step that does not work.
file(REMOVE_RECURSE ${WORK_DIR})
include(${CMAKE_CURRENT_LIST_DIR}/check_steps.cmake)
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
# The tool side (bench engine, histogram, rate, port lists) is not part of the package.
if(EXISTS ${WORK_DIR}/prefix/include/sockit/tools)
  message(FATAL_ERROR "the install carries the tool-side headers include/sockit/tools")
endif()
# A sanitizer build's library needs the same runtime at link time: pass the build's own flags
# (empty for dev and release).
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install_consumer -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_CXX_FLAGS=${CXXFLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LDFLAGS}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
expect("${last_output}" "consumer check: Connection refused \\(nothing listens on that port\\)" "consumer")
# The same through pkg-config.
set(ENV{PKG_CONFIG_PATH} ${WORK_DIR}/prefix/${LIBDIR}/pkgconfig)
# --static: libsockit.a is an archive, so its private requirements (OpenSSL) are needed too.
run(pkg-config --static --cflags --libs sockit)
string(STRIP "${last_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
separate_arguments(extra UNIX_COMMAND "${CXXFLAGS} ${LDFLAGS}")
run(${CXX} ${SOURCE_DIR}/tests/install_consumer/main.cpp ${flags} ${extra} -o ${WORK_DIR}/consumer_pc)
run(${WORK_DIR}/consumer_pc)
message(STATUS "install consumer: find_package and pkg-config both build and run")
