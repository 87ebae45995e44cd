/*
 * secsock: Zephyr's <zephyr/net/socket_net_mgmt.h> has no meaning on a Linux host.
 * Including it stops the build with the reason (docs/zephyr-names.md).
 */
#error "secsock: <zephyr/net/socket_net_mgmt.h> is not available on a host: NET_MGMT sockets (AF_NET_MGMT, struct net_sockaddr_nm): Linux has no such family; use netlink"
