/* TCP backend of the transport interface.
 *
 * RF_TCP_FASTBOOT: fastboot's TCP transport v1 -- both sides send "FB01",
 * then every message is an 8-byte big-endian length followed by the payload.
 * RF_TCP_STREAM: a plain byte stream (adb over TCP). */
#ifndef RF_TRANSPORT_TCP_H
#define RF_TRANSPORT_TCP_H

#include "transport.h"

#define RF_TCP_FASTBOOT_PORT 5554
#define RF_TCP_ADB_PORT 5555

enum rf_tcp_mode { RF_TCP_FASTBOOT, RF_TCP_STREAM };

/* Connect to host:port within timeout_ms (0: 5 s) and, in fastboot mode,
 * do the FB01 handshake.  TCP_NODELAY is set. */
int rf_tcp_open(const char *host, int port, enum rf_tcp_mode mode,
		int timeout_ms, struct rf_transport **out, char *err);

/* Parse "tcp:HOST[:PORT]" (also "[v6addr]:PORT").  `host` gets HOST,
 * `*port` the port or `default_port`.  RF_EINVAL when malformed. */
int rf_tcp_parse(const char *spec, int default_port, char *host,
		 size_t host_cap, int *port, char *err);

#endif
