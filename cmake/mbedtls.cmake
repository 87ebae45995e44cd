# Finds Mbed TLS 3.6 LTS, or builds it from Debian's source package with
# secsock's own config/mbedtls_config.h (tools/mbedtls.sh).
#
# Result: an INTERFACE target `secsock_mbedtls`, the variable
# SECSOCK_MBEDTLS_STATIC_ARCHIVES (archives merged into libsecsock.a) and
# SECSOCK_MBEDTLS_PREFIX (where the Mbed TLS test programs are, if built).

set(SECSOCK_MBEDTLS_SOURCE "auto" CACHE STRING
	"auto: system 3.6.x if found, else build; system; build")
set(SECSOCK_DEPS_DIR "$ENV{HOME}/.cache/secsock" CACHE PATH
	"Cache for the Mbed TLS source package and build")

add_library(secsock_mbedtls INTERFACE)
set(SECSOCK_MBEDTLS_STATIC_ARCHIVES "")
set(SECSOCK_MBEDTLS_PREFIX "")

set(_found FALSE)
if(NOT SECSOCK_MBEDTLS_SOURCE STREQUAL "build")
	find_package(MbedTLS 3.6 QUIET CONFIG)
	if(MbedTLS_FOUND AND MbedTLS_VERSION VERSION_LESS 3.7)
		message(STATUS "secsock: system Mbed TLS ${MbedTLS_VERSION} (CMake package)")
		target_link_libraries(secsock_mbedtls INTERFACE MbedTLS::mbedtls)
		set(_found TRUE)
	else()
		find_package(PkgConfig QUIET)
		if(PKG_CONFIG_FOUND)
			pkg_check_modules(SYS_MBEDTLS QUIET IMPORTED_TARGET
				"mbedtls>=3.6" "mbedtls<3.7" mbedx509 mbedcrypto)
			if(SYS_MBEDTLS_FOUND)
				message(STATUS "secsock: system Mbed TLS (pkg-config)")
				target_link_libraries(secsock_mbedtls INTERFACE PkgConfig::SYS_MBEDTLS)
				set(_found TRUE)
			endif()
		endif()
	endif()
	if(NOT _found AND SECSOCK_MBEDTLS_SOURCE STREQUAL "system")
		message(FATAL_ERROR "secsock: no system Mbed TLS 3.6.x found")
	endif()
endif()

if(NOT _found)
	execute_process(
		COMMAND ${PROJECT_SOURCE_DIR}/tools/mbedtls.sh ${SECSOCK_DEPS_DIR}
		OUTPUT_VARIABLE SECSOCK_MBEDTLS_PREFIX
		OUTPUT_STRIP_TRAILING_WHITESPACE
		RESULT_VARIABLE _rc)
	if(NOT _rc EQUAL 0 OR NOT EXISTS "${SECSOCK_MBEDTLS_PREFIX}/include/mbedtls/ssl.h")
		message(FATAL_ERROR "secsock: building Mbed TLS 3.6 failed (tools/mbedtls.sh)")
	endif()
	message(STATUS "secsock: Mbed TLS built in ${SECSOCK_MBEDTLS_PREFIX}")
	set(_lib ${SECSOCK_MBEDTLS_PREFIX}/lib)
	set(SECSOCK_MBEDTLS_STATIC_ARCHIVES
		${_lib}/libmbedtls.a ${_lib}/libmbedx509.a ${_lib}/libmbedcrypto.a
		${_lib}/libeverest.a ${_lib}/libp256m.a)
	target_include_directories(secsock_mbedtls SYSTEM INTERFACE
		${SECSOCK_MBEDTLS_PREFIX}/include)
	target_link_libraries(secsock_mbedtls INTERFACE ${SECSOCK_MBEDTLS_STATIC_ARCHIVES})
endif()
