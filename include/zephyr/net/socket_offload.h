/*
 * secsock: Zephyr's <zephyr/net/socket_offload.h> has no meaning on a Linux host.
 * Including it stops the build with the reason (docs/zephyr-names.md).
 */
#error "secsock: <zephyr/net/socket_offload.h> is not available on a host: socket offloading (socket_offload_dns_register, NET_SOCKET_OFFLOAD_REGISTER): secsock sockets are the host kernel's"
