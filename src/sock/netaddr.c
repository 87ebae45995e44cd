/*
 * Zephyr's address helpers of <zephyr/net/net_ip.h> that are functions, not
 * inline: net_addr_pton/ntop, net_ipaddr_parse, net_port_*, net_family2str.
 * They return 0/-errno or a pointer/bool as Zephyr's do and leave errno alone
 * (only zsock_* entry points set errno: ARCHITECTURE.md).
 */
#include <errno.h>
#include <string.h>

#include <zephyr/net/net_ip.h>

int net_addr_pton(sa_family_t family, const char *src, void *dst)
{
	int saved = errno;
	int rc;

	if (src == NULL || dst == NULL || (family != AF_INET && family != AF_INET6)) {
		return -EINVAL;
	}
	rc = inet_pton(family, src, dst);
	errno = saved;
	return rc == 1 ? 0 : -EINVAL;
}

char *net_addr_ntop(sa_family_t family, const void *src, char *dst, size_t size)
{
	int saved = errno;
	const char *r;

	if (src == NULL || dst == NULL || (family != AF_INET && family != AF_INET6)) {
		return NULL;
	}
	r = inet_ntop(family, src, dst, (socklen_t)size);
	errno = saved;
	return r != NULL ? dst : NULL;
}

/* A decimal port of 1-5 digits, at most 65535. */
static bool parse_port(const char *p, size_t n, uint16_t *port)
{
	unsigned long v = 0;

	if (n == 0 || n > 5) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9') {
			return false;
		}
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v > 65535) {
		return false;
	}
	*port = (uint16_t)v;
	return true;
}

/* Copies p[0..n) as a C string into buf (size cap) and converts it. */
static bool parse_addr(sa_family_t family, const char *p, size_t n, void *dst)
{
	char buf[NET_INET6_ADDRSTRLEN + 1];

	if (n == 0 || n >= sizeof(buf)) {
		return false;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	return net_addr_pton(family, buf, dst) == 0;
}

bool net_ipaddr_parse(const char *str, size_t str_len, struct sockaddr *addr)
{
	size_t len;
	const char *colon;
	uint16_t port;

	if (str == NULL || addr == NULL || str_len == 0) {
		return false;
	}
	len = strnlen(str, str_len);
	if (str[0] == '[') {
		/* [v6] or [v6]:port */
		const char *end = memchr(str, ']', len);
		struct sockaddr_in6 *a6 = net_sin6(addr);

		if (end == NULL ||
		    !parse_addr(AF_INET6, str + 1, (size_t)(end - str - 1), &a6->sin6_addr)) {
			return false;
		}
		a6->sin6_family = AF_INET6;
		if ((size_t)(end - str) + 1 == len) {
			return true;
		}
		if (end[1] != ':' || !parse_port(end + 2, len - (size_t)(end - str) - 2, &port)) {
			return false;
		}
		a6->sin6_port = net_htons(port);
		return true;
	}
	colon = memchr(str, ':', len);
	if (colon != NULL && memchr(colon + 1, ':', len - (size_t)(colon - str) - 1) != NULL) {
		/* two colons or more: a bare IPv6 address */
		struct sockaddr_in6 *a6 = net_sin6(addr);

		if (!parse_addr(AF_INET6, str, len, &a6->sin6_addr)) {
			return false;
		}
		a6->sin6_family = AF_INET6;
		return true;
	}
	{
		struct sockaddr_in *a4 = net_sin(addr);
		size_t alen = colon != NULL ? (size_t)(colon - str) : len;

		if (!parse_addr(AF_INET, str, alen, &a4->sin_addr)) {
			return false;
		}
		if (colon != NULL) {
			if (!parse_port(colon + 1, len - alen - 1, &port)) {
				return false;
			}
			a4->sin_port = net_htons(port);
		}
		a4->sin_family = AF_INET;
		return true;
	}
}

int net_port_set(struct sockaddr *addr, uint16_t port)
{
	if (addr == NULL) {
		return -EINVAL;
	}
	if (addr->sa_family == AF_INET) {
		net_sin(addr)->sin_port = net_htons(port);
	} else if (addr->sa_family == AF_INET6) {
		net_sin6(addr)->sin6_port = net_htons(port);
	} else {
		return -EINVAL;
	}
	return 0;
}

int net_port_get(struct sockaddr *addr, uint16_t *port)
{
	if (addr == NULL || port == NULL) {
		return -EINVAL;
	}
	if (addr->sa_family == AF_INET) {
		*port = net_ntohs(net_sin(addr)->sin_port);
	} else if (addr->sa_family == AF_INET6) {
		*port = net_ntohs(net_sin6(addr)->sin6_port);
	} else {
		return -EINVAL;
	}
	return 0;
}

int net_port_set_default(struct sockaddr *addr, uint16_t default_port)
{
	uint16_t port;
	int rc = net_port_get(addr, &port);

	if (rc < 0) {
		return rc;
	}
	return port == 0 ? net_port_set(addr, default_port) : 0;
}

const char *net_family2str(sa_family_t family)
{
	switch (family) {
	case AF_UNSPEC:
		return "AF_UNSPEC";
	case AF_INET:
		return "AF_INET";
	case AF_INET6:
		return "AF_INET6";
	case AF_PACKET:
		return "AF_PACKET";
	case AF_CAN:
		return "AF_CAN";
	case AF_UNIX:
		return "AF_UNIX";
	default:
		return NULL;
	}
}
