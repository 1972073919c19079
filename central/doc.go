// Command central is autogate's central server: it receives every crossing
// the e-gates record, stores it, acknowledges it to the gate, and shows the
// fleet on a live dashboard with a JSON API.
//
//	central serve  [--data DIR] [--http ADDR] [--mqtt-listen ADDR | --broker URL]
//	central broker [--listen ADDR]
//
// "serve" with no flags runs everything in one process: an embedded MQTT
// broker (mochi-mqtt) on 127.0.0.1:1883, ingest, SQLite in var/central and
// the web side on 127.0.0.1:8080. With --broker it uses an external broker
// (Mosquitto, EMQX) instead; ingest connects to either through the same
// MQTT client code. "broker" runs only the embedded broker, for deployments
// that split it out.
//
// Exit status: 0 after a clean stop (SIGINT/SIGTERM: the current batch is
// committed and acknowledged first), 1 when something fails at run time
// (the message says what and what to do), 2 for a usage error.
package main
