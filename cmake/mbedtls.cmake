# Finds Mbed TLS 3.6 LTS, or builds it from Debian's source package with
# secsock's own config/mbedtls_config.h (tools/mbedtls.sh).
#
# The minimum version lives here and nowhere else: SECSOCK_MBEDTLS_MIN_VERSION.
# A system Mbed TLS is used only if it is a 3.6.x at least that new;
# otherwise the newest 3.6.x Debian source package is built. Anything older
# than the minimum stops the configure step, unless SECSOCK_ALLOW_OLD_MBEDTLS
# is ON (for testing), which the build output and secsock_version() then say
# loudly.
#
# Result: an INTERFACE target `secsock_mbedtls`, the variables
# SECSOCK_MBEDTLS_STATIC_ARCHIVES (archives merged into libsecsock.a),
# SECSOCK_MBEDTLS_PREFIX (where the Mbed TLS test programs are, if built),
# SECSOCK_MBEDTLS_VERSION (x.y.z), SECSOCK_MBEDTLS_ORIGIN (one line: where it
# came from) and SECSOCK_MBEDTLS_BELOW_MIN (0/1).

# 3.6.7 (2026-07-07) fixes ticket, TLS 1.3 record-boundary, EMS, ChaCha20,
# ECDH and ECDHE-PSK vulnerabilities in features secsock enables.
set(SECSOCK_MBEDTLS_MIN_VERSION "3.6.7")
set(SECSOCK_MBEDTLS_MIN_REASON
	"3.6.7 fixes security vulnerabilities in features secsock enables (session tickets, TLS 1.3 record boundaries, extended master secret, ChaCha20, ECDH, ECDHE-PSK, RSA and ECC side channels)")

set(SECSOCK_MBEDTLS_SOURCE "auto" CACHE STRING
	"auto: system 3.6.x >= minimum if found, else build; system; build")
set(SECSOCK_DEPS_DIR "$ENV{HOME}/.cache/secsock" CACHE PATH
	"Cache for the Mbed TLS source package and build")
set(SECSOCK_MBEDTLS_DEBIAN_VERSION "" CACHE STRING
	"Debian version of the mbedtls source package to build (default: the newest 3.6.x)")
# Largest outgoing record (plaintext bytes). 4096 (config/mbedtls_config.h) saves
# 12 KiB per connection against 16384; another value needs a built Mbed TLS, and
# builds its own cached variant (docs/benchmarks.md, "4 KiB vs 16 KiB").
set(SECSOCK_MBEDTLS_OUT_CONTENT_LEN "4096" CACHE STRING
	"MBEDTLS_SSL_OUT_CONTENT_LEN of the Mbed TLS secsock builds, 512..16384")
if(NOT SECSOCK_MBEDTLS_OUT_CONTENT_LEN MATCHES "^[0-9]+$" OR
   SECSOCK_MBEDTLS_OUT_CONTENT_LEN LESS 512 OR SECSOCK_MBEDTLS_OUT_CONTENT_LEN GREATER 16384)
	message(FATAL_ERROR "secsock: SECSOCK_MBEDTLS_OUT_CONTENT_LEN must be 512..16384, "
		"not '${SECSOCK_MBEDTLS_OUT_CONTENT_LEN}'")
endif()
if(NOT SECSOCK_MBEDTLS_OUT_CONTENT_LEN EQUAL 4096)
	if(SECSOCK_MBEDTLS_SOURCE STREQUAL "system")
		message(FATAL_ERROR "secsock: SECSOCK_MBEDTLS_OUT_CONTENT_LEN "
			"${SECSOCK_MBEDTLS_OUT_CONTENT_LEN} needs Mbed TLS built with it, "
			"not SECSOCK_MBEDTLS_SOURCE=system")
	endif()
	set(SECSOCK_MBEDTLS_SOURCE "build") # a system build has its own value
endif()
option(SECSOCK_ALLOW_OLD_MBEDTLS
	"Allow an Mbed TLS older than ${SECSOCK_MBEDTLS_MIN_VERSION} (testing only: known vulnerabilities)"
	OFF)

add_library(secsock_mbedtls INTERFACE)
set(SECSOCK_MBEDTLS_STATIC_ARCHIVES "")
set(SECSOCK_MBEDTLS_PREFIX "")
set(SECSOCK_MBEDTLS_VERSION "")
set(SECSOCK_MBEDTLS_ORIGIN "")

# The version a directory of Mbed TLS headers declares.
function(_secsock_header_version incdir out)
	set(v "")
	if(EXISTS "${incdir}/mbedtls/build_info.h")
		file(STRINGS "${incdir}/mbedtls/build_info.h" line
			REGEX "^#define MBEDTLS_VERSION_STRING +\"[0-9.]+\"")
		string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" v "${line}")
	endif()
	set(${out} "${v}" PARENT_SCOPE)
endfunction()

function(_secsock_usable version out)
	if(version VERSION_GREATER_EQUAL 3.6 AND version VERSION_LESS 3.7 AND
	   version VERSION_GREATER_EQUAL SECSOCK_MBEDTLS_MIN_VERSION)
		set(${out} TRUE PARENT_SCOPE)
	else()
		set(${out} FALSE PARENT_SCOPE)
	endif()
endfunction()

set(_found FALSE)
set(_seen "")
if(NOT SECSOCK_MBEDTLS_SOURCE STREQUAL "build")
	find_package(MbedTLS 3.6 QUIET CONFIG)
	if(MbedTLS_FOUND)
		get_target_property(_inc MbedTLS::mbedtls INTERFACE_INCLUDE_DIRECTORIES)
		list(GET _inc 0 _inc)
		_secsock_header_version("${_inc}" _v)
		if(NOT _v)
			set(_v "${MbedTLS_VERSION}")
		endif()
		_secsock_usable("${_v}" _ok)
		if(_ok OR (SECSOCK_ALLOW_OLD_MBEDTLS AND SECSOCK_MBEDTLS_SOURCE STREQUAL "system"
			   AND _v VERSION_GREATER_EQUAL 3.6 AND _v VERSION_LESS 3.7))
			target_link_libraries(secsock_mbedtls INTERFACE MbedTLS::mbedtls)
			set(SECSOCK_MBEDTLS_VERSION "${_v}")
			set(SECSOCK_MBEDTLS_ORIGIN "system Mbed TLS ${_v} (CMake package in ${MbedTLS_DIR})")
			set(_found TRUE)
		else()
			list(APPEND _seen "CMake package ${_v} in ${MbedTLS_DIR}")
		endif()
	endif()
	if(NOT _found)
		find_package(PkgConfig QUIET)
		if(PKG_CONFIG_FOUND)
			pkg_check_modules(SYS_MBEDTLS QUIET IMPORTED_TARGET mbedtls mbedx509 mbedcrypto)
			if(SYS_MBEDTLS_FOUND)
				set(_v "${SYS_MBEDTLS_mbedtls_VERSION}")
				if(SYS_MBEDTLS_INCLUDE_DIRS)
					list(GET SYS_MBEDTLS_INCLUDE_DIRS 0 _inc)
					_secsock_header_version("${_inc}" _hv)
					if(_hv)
						set(_v "${_hv}")
					endif()
				endif()
				_secsock_usable("${_v}" _ok)
				if(_ok OR (SECSOCK_ALLOW_OLD_MBEDTLS AND
					   SECSOCK_MBEDTLS_SOURCE STREQUAL "system" AND
					   _v VERSION_GREATER_EQUAL 3.6 AND _v VERSION_LESS 3.7))
					target_link_libraries(secsock_mbedtls INTERFACE PkgConfig::SYS_MBEDTLS)
					set(SECSOCK_MBEDTLS_VERSION "${_v}")
					set(SECSOCK_MBEDTLS_ORIGIN "system Mbed TLS ${_v} (pkg-config)")
					set(_found TRUE)
				else()
					list(APPEND _seen "pkg-config ${_v}")
				endif()
			endif()
		endif()
	endif()
	if(_seen AND NOT _found)
		message(STATUS "secsock: not using system Mbed TLS (${_seen}): "
			"secsock needs 3.6.x >= ${SECSOCK_MBEDTLS_MIN_VERSION}")
	endif()
	if(NOT _found AND SECSOCK_MBEDTLS_SOURCE STREQUAL "system")
		message(FATAL_ERROR "secsock: no usable system Mbed TLS (found: ${_seen}); "
			"secsock needs 3.6.x >= ${SECSOCK_MBEDTLS_MIN_VERSION}: ${SECSOCK_MBEDTLS_MIN_REASON}")
	endif()
endif()

if(NOT _found)
	execute_process(
		COMMAND ${CMAKE_COMMAND} -E env
			"SECSOCK_MBEDTLS_VERSION=${SECSOCK_MBEDTLS_DEBIAN_VERSION}"
			"SECSOCK_MBEDTLS_OUT_CONTENT_LEN=${SECSOCK_MBEDTLS_OUT_CONTENT_LEN}"
			${PROJECT_SOURCE_DIR}/tools/mbedtls.sh ${SECSOCK_DEPS_DIR}
		OUTPUT_VARIABLE SECSOCK_MBEDTLS_PREFIX
		OUTPUT_STRIP_TRAILING_WHITESPACE
		RESULT_VARIABLE _rc)
	if(NOT _rc EQUAL 0 OR NOT EXISTS "${SECSOCK_MBEDTLS_PREFIX}/include/mbedtls/ssl.h")
		message(FATAL_ERROR "secsock: building Mbed TLS 3.6 failed (tools/mbedtls.sh)")
	endif()
	_secsock_header_version("${SECSOCK_MBEDTLS_PREFIX}/include" SECSOCK_MBEDTLS_VERSION)
	file(READ "${SECSOCK_MBEDTLS_PREFIX}/SOURCE" SECSOCK_MBEDTLS_ORIGIN)
	string(STRIP "${SECSOCK_MBEDTLS_ORIGIN}" SECSOCK_MBEDTLS_ORIGIN)
	message(STATUS "secsock: Mbed TLS ${SECSOCK_MBEDTLS_VERSION} built in ${SECSOCK_MBEDTLS_PREFIX}")
	set(_lib ${SECSOCK_MBEDTLS_PREFIX}/lib)
	set(SECSOCK_MBEDTLS_STATIC_ARCHIVES
		${_lib}/libmbedtls.a ${_lib}/libmbedx509.a ${_lib}/libmbedcrypto.a)
	# third-party drivers, when the source package builds them (Debian's does not)
	foreach(_a libeverest.a libp256m.a)
		if(EXISTS ${_lib}/${_a})
			list(APPEND SECSOCK_MBEDTLS_STATIC_ARCHIVES ${_lib}/${_a})
		endif()
	endforeach()
	target_include_directories(secsock_mbedtls SYSTEM INTERFACE
		${SECSOCK_MBEDTLS_PREFIX}/include)
	target_link_libraries(secsock_mbedtls INTERFACE ${SECSOCK_MBEDTLS_STATIC_ARCHIVES})
endif()

message(STATUS "secsock: Mbed TLS ${SECSOCK_MBEDTLS_VERSION}: ${SECSOCK_MBEDTLS_ORIGIN}")
set(SECSOCK_MBEDTLS_BELOW_MIN 0)
if(SECSOCK_MBEDTLS_VERSION VERSION_LESS SECSOCK_MBEDTLS_MIN_VERSION)
	set(_msg "Mbed TLS ${SECSOCK_MBEDTLS_VERSION} (${SECSOCK_MBEDTLS_ORIGIN}) is older than the minimum ${SECSOCK_MBEDTLS_MIN_VERSION}: ${SECSOCK_MBEDTLS_MIN_REASON}.")
	if(NOT SECSOCK_ALLOW_OLD_MBEDTLS)
		message(FATAL_ERROR "secsock: ${_msg} Install or let the build fetch ${SECSOCK_MBEDTLS_MIN_VERSION} or newer "
			"(tools/mbedtls.sh searches Debian's suites: SECSOCK_MBEDTLS_SUITES), or configure with "
			"-DSECSOCK_ALLOW_OLD_MBEDTLS=ON to build on it anyway, for testing only.")
	endif()
	set(SECSOCK_MBEDTLS_BELOW_MIN 1)
	message(WARNING "secsock: ${_msg}\n"
		"    SECSOCK_ALLOW_OLD_MBEDTLS=ON: building on a vulnerable Mbed TLS. Do not deploy this build.")
endif()

string(REGEX MATCH "^([0-9]+)\\.([0-9]+)\\.([0-9]+)" _m "${SECSOCK_MBEDTLS_MIN_VERSION}")
math(EXPR SECSOCK_MBEDTLS_MIN_VERSION_NUMBER
	"(${CMAKE_MATCH_1} << 24) | (${CMAKE_MATCH_2} << 16) | (${CMAKE_MATCH_3} << 8)"
	OUTPUT_FORMAT HEXADECIMAL)
