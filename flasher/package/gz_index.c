/* The gunzip access index.  See gz_index.h. */
#include "gz_index.h"

#include <stdlib.h>
#include <string.h>

/* The caller lags the inflater by its ring of output slots (8 MiB) and
 * what libarchive holds: NRECENT points a RECENT_STEP apart reach back
 * further than that. */
#define NRECENT 16
#define RECENT_STEP (1u << 20)

void rf_gzi_init(struct rf_gz_index *x, uint64_t step, pthread_mutex_t *mu)
{
	memset(x, 0, sizeof *x);
	x->mu = mu;
	x->step = step;
	if (!step)
		return;
	/* room for the marks too: rf_gzi_take merges them in place */
	x->pts = malloc((RF_GZ_MAX_POINTS + RF_GZ_MAX_MARKS) * sizeof *x->pts);
	x->marks = malloc(RF_GZ_MAX_MARKS * sizeof *x->marks);
	/* without the recent points, marks fall back on the regular ones:
	 * slower seeks, same bytes */
	x->recent = malloc(NRECENT * sizeof *x->recent);
	x->lost = !x->pts;
}

static void save(struct rf_gz_point *pt, const struct inflate_state *st,
		 uint64_t in_off, uint64_t out_off, int members)
{
	pt->in_off = in_off;
	pt->out_off = out_off;
	pt->members = members;
	memcpy(&pt->st, st, sizeof pt->st);
	/* they pointed into the pass's buffers: a resumed reader reads its
	 * input again from in_off */
	pt->st.next_in = NULL;
	pt->st.next_out = NULL;
	pt->st.avail_in = 0;
	pt->st.avail_out = 0;
}

/* Full: every other point goes (the one at 0 stays), the step doubles. */
static void thin(struct rf_gz_index *x)
{
	size_t k = 0;
	for (size_t i = 0; i < x->npts; i += 2)
		x->pts[k++] = x->pts[i];
	x->npts = k;
	x->step *= 2;
	x->next_point = x->pts[k - 1].out_off + x->step;
}

void rf_gzi_offer(struct rf_gz_index *x, const struct inflate_state *st,
		  uint64_t in_off, uint64_t out_off, int members)
{
	if (!x->step || x->lost)
		return;
	if (x->recent && out_off >= x->next_recent) {
		pthread_mutex_lock(x->mu);
		save(&x->recent[x->nrecent++ % NRECENT], st, in_off, out_off,
		     members);
		pthread_mutex_unlock(x->mu);
		x->next_recent = out_off + RECENT_STEP;
	}
	if (out_off < x->next_point)
		return;
	if (x->npts == RF_GZ_MAX_POINTS)
		thin(x);
	if (out_off < x->next_point)
		return;
	save(&x->pts[x->npts++], st, in_off, out_off, members);
	x->next_point = out_off + x->step;
}

void rf_gzi_mark(struct rf_gz_index *x, uint64_t out_off)
{
	const struct rf_gz_point *best = NULL;
	if (!x->recent || !x->marks || x->nmarks == RF_GZ_MAX_MARKS)
		return;
	pthread_mutex_lock(x->mu);
	uint64_t first = x->nrecent > NRECENT ? x->nrecent - NRECENT : 0;
	for (uint64_t i = first; i < x->nrecent; i++) {
		const struct rf_gz_point *pt = &x->recent[i % NRECENT];
		if (pt->out_off <= out_off && (!best || pt->out_off > best->out_off))
			best = pt;
	}
	if (best && (!x->nmarks ||
		     x->marks[x->nmarks - 1].out_off < best->out_off))
		x->marks[x->nmarks++] = *best;
	pthread_mutex_unlock(x->mu);
}

struct rf_gz_point *rf_gzi_take(struct rf_gz_index *x, size_t *n)
{
	struct rf_gz_point *v = x->pts;
	size_t i = x->npts, j = x->nmarks, k = 0;
	*n = 0;
	if (x->lost || !x->npts)
		return NULL;
	/* both lists ascend: merge from the back into the room after the
	 * regular points, then one point per offset */
	while (j > 0) {
		if (i > 0 && v[i - 1].out_off > x->marks[j - 1].out_off) {
			v[i + j - 1] = v[i - 1];
			i--;
		} else {
			v[i + j - 1] = x->marks[j - 1];
			j--;
		}
	}
	for (i = 0; i < x->npts + x->nmarks; i++)
		if (!k || v[k - 1].out_off < v[i].out_off) {
			if (k != i)
				v[k] = v[i];
			k++;
		}
	x->pts = NULL;
	x->npts = 0;
	*n = k;
	return v;
}

void rf_gzi_free(struct rf_gz_index *x)
{
	free(x->pts);
	free(x->recent);
	free(x->marks);
	memset(x, 0, sizeof *x);
}
