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

int net_mask_len_to_netmask(sa_family_t family, uint8_t mask_len, struct sockaddr *mask)
{
	uint8_t *bytes;
	unsigned int size;

	if (mask == NULL) {
		return -EINVAL;
	}
	if (family == AF_INET && mask_len <= 32) {
		struct sockaddr_in *m4 = net_sin(mask);

		memset(m4, 0, sizeof(*m4));
		m4->sin_family = AF_INET;
		bytes = (uint8_t *)&m4->sin_addr;
		size = 4;
	} else if (family == AF_INET6 && mask_len <= 128) {
		struct sockaddr_in6 *m6 = net_sin6(mask);

		memset(m6, 0, sizeof(*m6));
		m6->sin6_family = AF_INET6;
		bytes = m6->sin6_addr.s6_addr;
		size = 16;
	} else {
		return -EINVAL;
	}
	for (unsigned int i = 0; i < size; i++) {
		unsigned int bits = mask_len > 8 * i ? mask_len - 8 * i : 0;

		bytes[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00U >> bits);
	}
	return 0;
}

int net_netmask_to_mask_len(sa_family_t family, struct sockaddr *mask, uint8_t *mask_len)
{
	const uint8_t *bytes;
	unsigned int size, len = 0;
	bool ended = false;

	if (mask == NULL || mask_len == NULL) {
		return -EINVAL;
	}
	if (family == AF_INET) {
		bytes = (const uint8_t *)&net_sin(mask)->sin_addr;
		size = 4;
	} else if (family == AF_INET6) {
		bytes = net_sin6(mask)->sin6_addr.s6_addr;
		size = 16;
	} else {
		return -EINVAL;
	}
	/* leading ones, then zeros only */
	for (unsigned int i = 0; i < size * 8; i++) {
		bool one = (bytes[i / 8] & (0x80U >> (i % 8))) != 0;

		if (one && ended) {
			return -EINVAL;
		}
		if (one) {
			len++;
		} else {
			ended = true;
		}
	}
	*mask_len = (uint8_t)len;
	return 0;
}

/* one address with an optional "/len", up to a ',' or ' ' or the end */
const char *net_ipaddr_parse_mask(const char *str, size_t str_len, struct sockaddr *addr,
				  uint8_t *mask_len)
{
	size_t len, item, alen;
	const char *slash;
	unsigned long bits = 0;

	if (str == NULL || addr == NULL || mask_len == NULL) {
		return NULL;
	}
	len = strnlen(str, str_len);
	for (item = 0; item < len && str[item] != ',' && str[item] != ' '; item++) {
	}
	slash = memchr(str, '/', item);
	alen = slash != NULL ? (size_t)(slash - str) : item;
	if (alen == 0 || memchr(str, '[', alen) != NULL || !net_ipaddr_parse(str, alen, addr) ||
	    (addr->sa_family == AF_INET && memchr(str, ':', alen))) {
		return NULL; /* an address without a port */
	}
	if (slash != NULL) {
		size_t n = item - alen - 1;

		if (n == 0 || n > 3) {
			return NULL;
		}
		for (size_t i = 1; i <= n; i++) {
			if (slash[i] < '0' || slash[i] > '9') {
				return NULL;
			}
			bits = bits * 10 + (unsigned long)(slash[i] - '0');
		}
		if (bits > (addr->sa_family == AF_INET ? 32U : 128U)) {
			return NULL;
		}
	} else {
		bits = addr->sa_family == AF_INET ? 32U : 128U;
	}
	*mask_len = (uint8_t)bits;
	return item < len ? str + item + 1 : "";
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

int net_bytes_from_str(uint8_t *buf, int buf_len, const char *src)
{
	const char *p = src;

	if (buf == NULL || src == NULL || buf_len <= 0) {
		return -EINVAL;
	}
	/* exactly buf_len two-digit hex bytes separated by ':' ("ab:02:98:fa:42:01") */
	for (int i = 0; i < buf_len; i++) {
		int hi = hex_digit(p[0]);
		int lo = hi < 0 ? -1 : hex_digit(p[1]);

		if (lo < 0) {
			return -EINVAL;
		}
		buf[i] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (i + 1 < buf_len) {
			if (*p != ':') {
				return -EINVAL;
			}
			p++;
		}
	}
	return *p == '\0' ? 0 : -EINVAL;
}
