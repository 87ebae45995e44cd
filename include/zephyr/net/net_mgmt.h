/*
 * secsock: Zephyr's <zephyr/net/net_mgmt.h> has no meaning on a Linux host.
 * Including it stops the build with the reason (docs/zephyr-names.md).
 */
#error "secsock: <zephyr/net/net_mgmt.h> is not available on a host: network management events (net_mgmt, NET_EVENT_*): a host has no Zephyr management bus; use the kernel's netlink"
