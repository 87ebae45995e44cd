/*
 * secsock: Zephyr's <zephyr/net/socket_poll.h> for Linux hosts.
 *
 * struct zsock_pollfd is struct zvfs_pollfd (<zephyr/sys/fdtable.h>), as in
 * Zephyr; its layout is the host's struct pollfd. zsock_poll() itself is
 * declared in <zephyr/net/socket.h>, where Zephyr declares it.
 */
#ifndef SECSOCK_ZEPHYR_NET_SOCKET_POLL_H
#define SECSOCK_ZEPHYR_NET_SOCKET_POLL_H

#include <zephyr/sys/fdtable.h>

/** Descriptor and events for zsock_poll(): fd, events, revents. */
#define zsock_pollfd zvfs_pollfd

#endif /* SECSOCK_ZEPHYR_NET_SOCKET_POLL_H */
