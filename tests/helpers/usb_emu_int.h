/* Inside the umockdev harness (usb_emu.c: testbed, plugging, lifecycle;
 * usb_emu_ioctl.c: the usbfs requests).  Not for tests: see usb_emu.h. */
#ifndef USB_EMU_INT_H
#define USB_EMU_INT_H

#include <pthread.h>
#include <umockdev.h>
#include "usb_emu.h"

#define USB_EMU_ERRLEN 256
#define USB_EMU_MAX_BUS 8
#define USB_EMU_PACKET 512

struct urbrec {
	UMockdevIoctlData *urb; /* local copy of struct usbdevfs_urb */
	UMockdevIoctlData *buf; /* local copy of its buffer, or NULL */
	unsigned long addr;     /* the URB's address in the client */
	int status, actual, out;
	long long cost;         /* usbfs memory it holds until reaped */
};

struct client_state {
	int gone;             /* its connection closed */
	unsigned gen;         /* device generation it was opened in */
	GQueue done;          /* completed URBs waiting to be reaped */
	GQueue pending;       /* IN URBs waiting for a reply */
	GQueue held;          /* OUT URBs the device does not take yet */
	unsigned out_unreaped;
};

struct usb_emu_dev {
	struct usb_emu *u;
	int idx, bus, port, devnum;
	int proto;
	uint8_t iclass, isubclass, iprotocol;
	uint16_t vid, pid;
	char serial[64], product[64], speed[8];
	char devnode[64], syspath[96], ifpath[128], location[32];
	char *record, *if_record; /* umockdev descriptions, for (re)plugging */
	struct emu *emu;          /* owned, fastboot devices */
	struct usb_emu_model model;
	int has_model;
	UMockdevIoctlBase *handler;
	char attached[16][64];    /* device nodes the handler serves */
	int nattached;
	unsigned node_mode;       /* 0: as umockdev makes it */
	unsigned gen;
	int online;               /* link up and device present */
	GPtrArray *clients;       /* struct client_state *, freed at stop */
	struct client_state *owner; /* client that claimed the interface */
	struct usb_emu_stats st;
	int hold_out;             /* leave OUT URBs pending (device NAKs) */
	int leaving;              /* link lost: handing out the last replies,
				     then silent until unplugged */
	int outbox_done;          /* leaving, and every last reply was read */
	GQueue outbox;            /* replies queued when the link was lost */
	int replug_wanted, replug_delay_ms, bus_reset;
	pthread_t lifecycle;
	int lifecycle_started;
};

struct usb_emu {
	UMockdevTestbed *tb;
	char *root;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
	struct usb_emu_dev *dev[USB_EMU_MAX_DEVS];
	int ndev;
	int next_devnum[USB_EMU_MAX_BUS + 1]; /* 0: bus has no root hub yet */
	int next_port[USB_EMU_MAX_BUS + 1];
	struct usb_emu_usbfs usbfs;
};

/* usb_emu_ioctl.c */
gboolean usb_emu_on_ioctl(UMockdevIoctlBase *h, UMockdevIoctlClient *c,
			  gpointer data);
void usb_emu_on_vanished(UMockdevIoctlBase *h, UMockdevIoctlClient *c,
			 gpointer data);
void usb_emu_client_gone_locked(struct usb_emu_dev *d, struct client_state *cs);
/* Fail every URB of the current generation (the cable was pulled). */
void usb_emu_fail_urbs_locked(struct usb_emu_dev *d);
void usb_emu_rec_free(struct usb_emu *u, struct urbrec *r);
/* Deliver held OUT URBs when the device takes data again. */
void usb_emu_release_held_locked(struct usb_emu_dev *d);

/* usb_emu.c */
void usb_emu_link_lost_locked(struct usb_emu_dev *d, enum emu_link l);
/* A leaving device said its last word: unplugged now, or after its leave
 * delay by the lifecycle thread. */
void usb_emu_outbox_drained_locked(struct usb_emu_dev *d);
void usb_emu_set_claimed_locked(struct usb_emu_dev *d, int claimed);
int usb_emu_busy(struct usb_emu_dev *d);

#endif
