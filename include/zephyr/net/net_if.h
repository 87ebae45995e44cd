/*
 * secsock: Zephyr's <zephyr/net/net_if.h> has no meaning on a Linux host.
 * Including it stops the build with the reason (docs/zephyr-names.md).
 */
#error "secsock: <zephyr/net/net_if.h> is not available on a host: network interfaces (struct net_if, net_if_*): the host's interfaces are the kernel's; use getifaddrs() and if_nametoindex()"
