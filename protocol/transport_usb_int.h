/* Shared by the two halves of the USB backend: transport_usb.c (opening,
 * transfers) and transport_usb_scan.c (finding phones, waiting for one).
 * Both include libusb.h; nothing else in the project may. */
#ifndef RF_TRANSPORT_USB_INT_H
#define RF_TRANSPORT_USB_INT_H

#include <libusb.h>
#include "transport_usb_scan.h"

#define USB_CLASS_VENDOR 0xff
#define USB_SUBCLASS_ANDROID 0x42
#define USB_VID_XIAOMI 0x2717

/* An attached phone found by a scan. */
struct rf_usb_cand {
	libusb_device *dev;     /* referenced */
	struct rf_usb_devinfo info;
	int iface, alt;
	unsigned char ep_in, ep_out;
	size_t mps_in, mps_out;
};

long long rf_usb_now_ms(void);
int rf_usb_map_err(int libusb_err);

/* Every attached device speaking a protocol of `mask` (see rf_usb_list);
 * free with rf_usb_free_scan. */
int rf_usb_scan(libusb_context *ctx, unsigned mask, struct rf_usb_cand **out,
		size_t *n, char *err);
void rf_usb_free_scan(struct rf_usb_cand *v, size_t n);
int rf_usb_init_ctx(libusb_context **ctx, char *err);

/* Does candidate `c` match selector `sel` (NULL: any)? */
int rf_usb_selected(const struct rf_usb_cand *c, const char *sel);

/* The candidate `sel` designates among `v`: RF_OK with *pick, or the
 * reason (RF_ENODEV, RF_EMULTIPLE, RF_EACCESS, RF_EBUSY) in err. */
int rf_usb_choose(const struct rf_usb_cand *v, size_t n, const char *sel,
		  int proto, const struct rf_usb_cand **pick, char *err);

#endif
