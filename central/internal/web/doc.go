// Package web serves central's HTTP side with the standard library: the
// dashboard a person reads at a glance, its live updates, the JSON API,
// Prometheus metrics and a health check.
//
//	GET /                 dashboard (html/template, server-rendered)
//	GET /partials/{part}  one dashboard section (totals, gates, crossings), for live updates
//	GET /events           Server-Sent Events: "crossings", "gates", "rejects" when they change
//	GET /api/gates        {"gates": [...]}
//	GET /api/crossings    {"crossings": [...]}; ?gate= &since= (RFC 3339 time or crossing ULID) &limit= (1..10000, default 100) &order= (asc|desc, default desc)
//	GET /api/stats        totals, per-gate counts, duplicate deliveries, rejects by reason
//	GET /healthz          200 when the store and the MQTT link are up, else 503
//	GET /metrics          Prometheus
//
// The page needs no build step and no outside host: its script and style are
// embedded and served from /static/. It listens to /events and, on each
// notice, re-fetches only the sections that changed; notices are coalesced
// to at most a few per second however fast crossings arrive. The dashboard
// shows only the last three characters of a document number and no names.
package web
