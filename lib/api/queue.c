/*
 * queue.c - the bounded hand-over between a handle's producer thread and its caller (see
 * api_int.h): a linked list under one mutex, limited by records and by bytes, so a slow
 * reader of the records holds the parser back instead of letting memory grow.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"

int api_queue_init(struct api_queue *q, size_t max_recs, size_t max_bytes)
{
    memset(q, 0, sizeof *q);
    q->max_recs = max_recs ? max_recs : 1;
    q->max_bytes = max_bytes;
    atomic_init(&q->cancel, 0);
    if (pthread_mutex_init(&q->mu, NULL))
        return -1;
    if (pthread_cond_init(&q->can_put, NULL)) {
        pthread_mutex_destroy(&q->mu);
        return -1;
    }
    if (pthread_cond_init(&q->can_get, NULL)) {
        pthread_cond_destroy(&q->can_put);
        pthread_mutex_destroy(&q->mu);
        return -1;
    }
    return 0;
}

static void drop_all(struct api_queue *q)
{
    while (q->head) {
        struct msl_api_rec *r = q->head;
        q->head = r->next;
        api_rec_free(r);
    }
    q->tail = NULL;
    q->n = q->bytes = 0;
}

void api_queue_destroy(struct api_queue *q)
{
    drop_all(q);
    pthread_cond_destroy(&q->can_get);
    pthread_cond_destroy(&q->can_put);
    pthread_mutex_destroy(&q->mu);
}

int api_queue_put(struct api_queue *q, struct msl_api_rec *r)
{
    pthread_mutex_lock(&q->mu);
    while (!q->stop && q->n && (q->n >= q->max_recs || q->bytes + r->len > q->max_bytes))
        pthread_cond_wait(&q->can_put, &q->mu);
    if (q->stop) {
        pthread_mutex_unlock(&q->mu);
        api_rec_free(r);
        return -1;
    }
    r->next = NULL;
    if (q->tail)
        q->tail->next = r;
    else
        q->head = r;
    q->tail = r;
    q->n++;
    q->bytes += r->len;
    if (q->n > q->peak_n)
        q->peak_n = q->n;
    if (q->bytes > q->peak_bytes)
        q->peak_bytes = q->bytes;
    pthread_cond_signal(&q->can_get);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

void api_queue_done(struct api_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->done = 1;
    pthread_cond_broadcast(&q->can_get);
    pthread_mutex_unlock(&q->mu);
}

struct msl_api_rec *api_queue_get(struct api_queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->done)
        pthread_cond_wait(&q->can_get, &q->mu);
    struct msl_api_rec *r = q->head;
    if (r) {
        q->head = r->next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
        q->bytes -= r->len;
        r->next = NULL;
        pthread_cond_signal(&q->can_put);
    }
    pthread_mutex_unlock(&q->mu);
    return r;
}

void api_queue_stop(struct api_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->stop = 1;
    atomic_store(&q->cancel, 1);
    drop_all(q);
    pthread_cond_broadcast(&q->can_put);
    pthread_mutex_unlock(&q->mu);
}
