/*
 * secsock: what getaddrinfo users need from Zephyr's <zephyr/net/dns_resolve.h>.
 *
 * On a host, names are resolved by the host's resolver through
 * zsock_getaddrinfo(). This header gives the result codes (DNS_EAI_*, equal
 * to the host's EAI_* values), the query types and DNS_MAX_NAME_SIZE.
 * Zephyr's own asynchronous resolver (dns_resolve_init, dns_resolve_name,
 * dns_get_addr_info, ...) does not exist in secsock: calling it stops the
 * build with a message naming zsock_getaddrinfo() (docs/zephyr-names.md).
 */
#ifndef SECSOCK_ZEPHYR_NET_DNS_RESOLVE_H
#define SECSOCK_ZEPHYR_NET_DNS_RESOLVE_H

#include <stdint.h>
#include <zephyr/net/net_ip.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Longest name struct zsock_addrinfo holds in ai_canonname, without its NUL:
 * the longest DNS name (Zephyr's default, CONFIG_DNS_RESOLVER_MAX_NAME_LEN,
 * is 20; a host resolver returns full names).
 */
#ifndef DNS_MAX_NAME_SIZE
#define DNS_MAX_NAME_SIZE 255
#endif

/** DNS query types. */
enum dns_query_type {
	DNS_QUERY_TYPE_A = 1,           /**< IPv4 address */
	DNS_QUERY_TYPE_CNAME = 5,       /**< Canonical name */
	DNS_QUERY_TYPE_PTR = 12,        /**< Pointer */
	DNS_QUERY_TYPE_TXT = 16,        /**< Text */
	DNS_QUERY_TYPE_AAAA = 28,       /**< IPv6 address */
	DNS_QUERY_TYPE_SRV = 33,        /**< Service location */
	DNS_QUERY_TYPE_ANY = 255,       /**< Every record type */
	DNS_QUERY_TYPE_RESERVED = 65535 /**< Reserved */
};

/** Result codes of zsock_getaddrinfo() and zsock_getnameinfo(): the host's EAI_* values. */
enum dns_resolve_status {
	DNS_EAI_BADFLAGS = -1,      /**< Invalid ai_flags */
	DNS_EAI_NONAME = -2,        /**< Name or service unknown */
	DNS_EAI_AGAIN = -3,         /**< Temporary failure */
	DNS_EAI_FAIL = -4,          /**< Non-recoverable failure */
	DNS_EAI_NODATA = -5,        /**< No address for the name */
	DNS_EAI_FAMILY = -6,        /**< ai_family not supported */
	DNS_EAI_SOCKTYPE = -7,      /**< ai_socktype not supported */
	DNS_EAI_SERVICE = -8,       /**< Service not supported for ai_socktype */
	DNS_EAI_ADDRFAMILY = -9,    /**< No address of the family for the name */
	DNS_EAI_MEMORY = -10,       /**< Out of memory */
	DNS_EAI_SYSTEM = -11,       /**< System error, see errno */
	DNS_EAI_OVERFLOW = -12,     /**< Buffer too small */
	DNS_EAI_INPROGRESS = -100,  /**< Request in progress */
	DNS_EAI_CANCELED = -101,    /**< Request cancelled */
	DNS_EAI_NOTCANCELED = -102, /**< Request not cancelled */
	DNS_EAI_ALLDONE = -103,     /**< All requests done */
	DNS_EAI_IDN_ENCODE = -105,  /**< IDN encoding failed */
};

/** @cond INTERNAL_HIDDEN */
#if defined(__clang__)
#define SECSOCK_NO_RESOLVER                                                                        \
	__attribute__((unavailable("secsock has no Zephyr DNS resolver: use "                      \
				   "zsock_getaddrinfo()")))
#else
#define SECSOCK_NO_RESOLVER                                                                        \
	__attribute__((error("secsock has no Zephyr DNS resolver: use zsock_getaddrinfo()")))
#endif
/** @endcond */

struct dns_resolve_context;
struct dns_addrinfo;
/** Callback type of Zephyr's asynchronous resolver (that resolver is absent). */
typedef void (*dns_resolve_cb_t)(enum dns_resolve_status status, struct dns_addrinfo *info,
				 void *user_data);

/* Zephyr's asynchronous resolver: declared only to name the replacement in the error. */
SECSOCK_NO_RESOLVER int dns_resolve_init(struct dns_resolve_context *ctx,
					 const char *dns_servers_str[],
					 const struct sockaddr *dns_servers_sa[]);
SECSOCK_NO_RESOLVER int dns_resolve_init_default(struct dns_resolve_context *ctx);
SECSOCK_NO_RESOLVER int dns_resolve_close(struct dns_resolve_context *ctx);
SECSOCK_NO_RESOLVER int dns_resolve_cancel(struct dns_resolve_context *ctx, uint16_t dns_id);
SECSOCK_NO_RESOLVER int dns_resolve_name(struct dns_resolve_context *ctx, const char *query,
					 enum dns_query_type type, uint16_t *dns_id,
					 dns_resolve_cb_t cb, void *user_data, int32_t timeout);
SECSOCK_NO_RESOLVER struct dns_resolve_context *dns_resolve_get_default(void);
SECSOCK_NO_RESOLVER int dns_get_addr_info(const char *query, enum dns_query_type type,
					  uint16_t *dns_id, dns_resolve_cb_t cb, void *user_data,
					  int32_t timeout);
SECSOCK_NO_RESOLVER int dns_cancel_addr_info(uint16_t dns_id);

#ifdef __cplusplus
}
#endif

#endif /* SECSOCK_ZEPHYR_NET_DNS_RESOLVE_H */
