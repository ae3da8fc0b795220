/* The one way the flasher's worker threads are told to stop: the flag is
 * set under the lock they wait with, and all of them are woken, so none
 * sleeps through it. */
#ifndef RF_THREAD_STOP_H
#define RF_THREAD_STOP_H

#include <pthread.h>

static inline void rf_thread_stop(pthread_mutex_t *mu, pthread_cond_t *cv,
				  int *stop)
{
	pthread_mutex_lock(mu);
	*stop = 1;
	pthread_cond_broadcast(cv);
	pthread_mutex_unlock(mu);
}

#endif
