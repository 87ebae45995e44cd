/*
 * Intrusive doubly linked lists (circular, with a head node): O(1) insert,
 * remove and move, for sets an entry joins and leaves often (the DTLS
 * server's idle order, ready and handshaking sessions).
 */
#ifndef ZT_LIST_H
#define ZT_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct zt_link {
	struct zt_link *prev, *next;
};

/** The struct of @p type whose @p member is at @p ptr. */
#define ZT_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/** An empty list head, or a link in no list. */
static inline void zt_list_init(struct zt_link *l)
{
	l->prev = l->next = l;
}

static inline bool zt_list_empty(const struct zt_link *head)
{
	return head->next == head;
}

/** True if @p l (initialised with zt_list_init) is in a list. */
static inline bool zt_list_linked(const struct zt_link *l)
{
	return l->next != l;
}

/** Remove @p l from its list (no effect if it is in none). */
static inline void zt_list_del(struct zt_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	zt_list_init(l);
}

/** Append @p l (in no list) at the tail of @p head. */
static inline void zt_list_add_tail(struct zt_link *head, struct zt_link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

/** Move @p l to the tail of @p head, from whatever list it is in. */
static inline void zt_list_move_tail(struct zt_link *head, struct zt_link *l)
{
	zt_list_del(l);
	zt_list_add_tail(head, l);
}

/** First and last entries, or NULL if empty. */
static inline struct zt_link *zt_list_first(struct zt_link *head)
{
	return zt_list_empty(head) ? NULL : head->next;
}

static inline struct zt_link *zt_list_last(struct zt_link *head)
{
	return zt_list_empty(head) ? NULL : head->prev;
}

#endif /* ZT_LIST_H */
