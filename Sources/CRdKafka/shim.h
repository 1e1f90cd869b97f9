#ifndef KPI_INGEST_CRDKAFKA_SHIM_H
#define KPI_INGEST_CRDKAFKA_SHIM_H
// librdkafka 2.0.2 as shipped by Debian's librdkafka-dev: the client API and the
// mock cluster (a Kafka-protocol broker on loopback used by tests and the demo).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#endif
