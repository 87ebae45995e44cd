/*
 * The option and flag numbers of the public headers as a strict C11
 * translation unit sees them (no feature-test macro: the C library then
 * leaves SO_PROTOCOL, AI_PASSIVE, ... undefined and the headers use their own
 * numbers). tests/unit/test_names.c compares them with the host's macros.
 */
#include <zephyr/net/socket.h>

#include "names_strict.h"

const long zt_strict_values[] = {ZT_NAMES_STRICT(ZT_NAME_VALUE)};
const char *const zt_strict_names[] = {ZT_NAMES_STRICT(ZT_NAME_STRING)};
const unsigned zt_strict_count = sizeof(zt_strict_values) / sizeof(zt_strict_values[0]);
