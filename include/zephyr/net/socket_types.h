/*
 * secsock: Zephyr's <zephyr/net/socket_types.h> for Linux hosts.
 *
 * The timeout type of SO_RCVTIMEO, SO_SNDTIMEO and zsock_select() is the
 * host's struct timeval, as in Zephyr.
 */
#ifndef SECSOCK_ZEPHYR_NET_SOCKET_TYPES_H
#define SECSOCK_ZEPHYR_NET_SOCKET_TYPES_H

#include <sys/time.h>

/** Zephyr's name of struct timeval. */
#define zsock_timeval timeval

#endif /* SECSOCK_ZEPHYR_NET_SOCKET_TYPES_H */
