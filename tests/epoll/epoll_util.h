/*
 * What the epoll tests share: the server certificate credentials registered
 * with the TLS fixture (under the includer's TAG_CA / TAG_SERVER), adding a
 * socket to a set, a wait that must stay quiet, and a pattern stream sent
 * blocking and received as the set reports it. The includer defines TAG_CA,
 * TAG_SERVER and, for the stream helpers, BLOCK and WAIT_MS.
 */
#ifndef SECSOCK_TESTS_EPOLL_UTIL_H
#define SECSOCK_TESTS_EPOLL_UTIL_H

#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>

#include "posix/epoll.h"
#include "testutil.h"
#include "tls_fixture.h"

static int creds_add(void)
{
	int rc = 0;

	rc |= tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem");
	rc |= tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem");
	rc |= tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key");
	return rc;
}

static void creds_delete(void)
{
	(void)tls_credential_delete(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE);
	(void)tls_credential_delete(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE);
	(void)tls_credential_delete(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY);
}

static const struct tf_creds creds = {TAG_CA, TAG_SERVER, creds_add, creds_delete};

__attribute__((constructor)) static void creds_register(void)
{
	tf_use_creds(&creds);
}

static inline int ep_add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return zp_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

#ifdef BLOCK
/* One wait of @p ms that must report nothing and last its timeout. */
static inline bool quiet_wait(int ep, int ms)
{
	struct epoll_event ev[4];
	int64_t t0 = tf_now_ms(), took;
	int n = zp_epoll_wait(ep, ev, 4, ms, NULL);

	took = tf_now_ms() - t0;
	if (n != 0 || took < ms - 2 || took > ms + 2000) {
		printf("quiet wait: %d events after %lld ms (timeout %d)\n", n, (long long)took,
		       ms);
		return false;
	}
	return true;
}

/* Send @p n bytes of stream @p s (all of them, blocking). */
static inline bool send_pat(int fd, struct tf_pstream *s, size_t n)
{
	static uint8_t buf[BLOCK];
	size_t done = 0;

	while (done < n) {
		size_t k = n - done < BLOCK ? n - done : BLOCK;
		ssize_t m;

		tf_pat_fill(s, buf, k);
		m = zsock_send(fd, buf, k, 0);
		if (m <= 0) {
			return false;
		}
		s->off += (uint64_t)m;
		done += (size_t)m;
	}
	return true;
}

/* Receive @p n bytes on @p fd (data @p tag in @p ep) as epoll says: each report, read to EAGAIN. */
static inline bool epoll_recv_pat(int ep, int fd, uint64_t tag, struct tf_pstream *s, size_t n)
{
	static uint8_t buf[BLOCK];
	size_t got = 0;

	while (got < n) {
		struct epoll_event ev[4];
		int k = zp_epoll_wait(ep, ev, 4, WAIT_MS, NULL);

		if (k != 1 || !(ev[0].events & EPOLLIN) || ev[0].data.u64 != tag) {
			printf("wait for data: %d events (0x%x), %zu of %zu bytes\n", k,
			       k > 0 ? ev[0].events : 0, got, n);
			return false;
		}
		for (;;) {
			ssize_t m = zsock_recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (m < 0 && errno == EAGAIN) {
				break;
			}
			if (m <= 0 || got + (size_t)m > n || !tf_pat_take(s, buf, (size_t)m)) {
				printf("recv: %zd after %zu of %zu bytes\n", m, got, n);
				return false;
			}
			got += (size_t)m;
		}
	}
	return true;
}
#endif /* BLOCK */

#endif /* SECSOCK_TESTS_EPOLL_UTIL_H */
