/*
 * Names whose numbers the headers take from the C library when it defines
 * them and supply themselves otherwise (include/zephyr/net/socket.h,
 * include/zephyr/net/net_compat.h), each with the host macro it must equal.
 */
#ifndef ZT_NAMES_STRICT_H
#define ZT_NAMES_STRICT_H

#define ZT_NAMES_STRICT(X)                                                                         \
	X(ZSOCK_SO_PRIORITY, SO_PRIORITY)                                                          \
	X(ZSOCK_SO_REUSEPORT, SO_REUSEPORT)                                                        \
	X(ZSOCK_SO_BINDTODEVICE, SO_BINDTODEVICE)                                                  \
	X(ZSOCK_SO_PROTOCOL, SO_PROTOCOL)                                                          \
	X(ZSOCK_SO_DOMAIN, SO_DOMAIN)                                                              \
	X(ZSOCK_SO_TXTIME, SO_TXTIME)                                                              \
	X(ZSOCK_SCM_TXTIME, SCM_TXTIME)                                                            \
	X(ZSOCK_SO_TIMESTAMPING, SO_TIMESTAMPING)                                                  \
	X(ZSOCK_SO_RCVTIMEO, SO_RCVTIMEO)                                                          \
	X(ZSOCK_SOMAXCONN, SOMAXCONN)                                                              \
	X(ZSOCK_AI_PASSIVE, AI_PASSIVE)                                                            \
	X(ZSOCK_AI_CANONNAME, AI_CANONNAME)                                                        \
	X(ZSOCK_AI_NUMERICHOST, AI_NUMERICHOST)                                                    \
	X(ZSOCK_AI_V4MAPPED, AI_V4MAPPED)                                                          \
	X(ZSOCK_AI_ALL, AI_ALL)                                                                    \
	X(ZSOCK_AI_ADDRCONFIG, AI_ADDRCONFIG)                                                      \
	X(ZSOCK_AI_NUMERICSERV, AI_NUMERICSERV)                                                    \
	X(ZSOCK_NI_NUMERICHOST, NI_NUMERICHOST)                                                    \
	X(ZSOCK_NI_NUMERICSERV, NI_NUMERICSERV)                                                    \
	X(ZSOCK_NI_NOFQDN, NI_NOFQDN)                                                              \
	X(ZSOCK_NI_NAMEREQD, NI_NAMEREQD)                                                          \
	X(ZSOCK_NI_DGRAM, NI_DGRAM)                                                                \
	X(ZSOCK_NI_MAXHOST, NI_MAXHOST)                                                            \
	X(SO_PROTOCOL, SO_PROTOCOL)                                                                \
	X(AI_PASSIVE, AI_PASSIVE)                                                                  \
	X(NI_MAXHOST, NI_MAXHOST)                                                                  \
	X(ZVFS_O_NONBLOCK, O_NONBLOCK)                                                             \
	X(TCP_NODELAY, TCP_NODELAY)                                                                \
	X(TCP_KEEPIDLE, TCP_KEEPIDLE)                                                              \
	X(TCP_KEEPINTVL, TCP_KEEPINTVL)                                                            \
	X(TCP_KEEPCNT, TCP_KEEPCNT)                                                                \
	X(NET_IFNAMSIZ, IFNAMSIZ)                                                                  \
	X(ZSOCK_IP_LOCAL_PORT_RANGE, 51)                                                           \
	X(DNS_EAI_AGAIN, EAI_AGAIN)                                                                \
	X(DNS_EAI_NODATA, EAI_NODATA)                                                              \
	X(DNS_EAI_ADDRFAMILY, EAI_ADDRFAMILY)                                                      \
	X(DNS_EAI_SYSTEM, EAI_SYSTEM)                                                              \
	X(DNS_EAI_OVERFLOW, EAI_OVERFLOW)                                                          \
	X(DNS_EAI_INPROGRESS, EAI_INPROGRESS)                                                      \
	X(DNS_EAI_CANCELED, EAI_CANCELED)                                                          \
	X(DNS_EAI_NOTCANCELED, EAI_NOTCANCELED)                                                    \
	X(DNS_EAI_ALLDONE, EAI_ALLDONE)                                                            \
	X(DNS_EAI_IDN_ENCODE, EAI_IDN_ENCODE)

#define ZT_NAME_VALUE(ours, host)  (long)(ours),
#define ZT_NAME_HOST(ours, host)   (long)(host),
#define ZT_NAME_STRING(ours, host) #ours,

extern const long zt_strict_values[];
extern const char *const zt_strict_names[];
extern const unsigned zt_strict_count;

#endif /* ZT_NAMES_STRICT_H */
