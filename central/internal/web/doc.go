// Package web serves central's HTTP side with the standard library: the
// officers' console, the HQ dashboard, the admin pages, their live updates,
// the JSON API, Prometheus metrics and a health check.
//
//	GET  /login, POST /login, POST /logout  sessions (JSON login for scripts)
//	GET  /                                  to the role's home page
//	GET  /console                           officers and supervisors: the post's referral queue
//	GET  /console/queue | /gates | /search?q=   partials (HTML, or JSON when asked)
//	GET  /console/referrals/{id}            one referral: photos, document, checks, scores, stages
//	GET  /console/referrals/{id}/image/{chip_photo|live_capture}   JPEG, the post's officers only
//	POST /console/referrals/{id}/act        open_exit | return | manual_booth, with a listed reason
//	POST /console/gates/{gate}/{lock|unlock}
//	GET  /dashboard, /dashboard/partials/{part}, /dashboard/export.csv?what=gates|throughput|timings|reasons
//	GET  /admin; POST /admin/users, /admin/users/{name}/{disable|enable|unlock}, /admin/gates, /admin/lists
//	GET  /events       Server-Sent Events: crossings, gates, rejects, referrals, commands
//	GET  /api/gates | /api/crossings | /api/stats   JSON, hq and admin
//	GET  /healthz, /metrics                          open: for monitoring
//
// Every page but /login needs a session (guard in session.go): a Secure,
// HttpOnly, SameSite=Strict cookie naming a session in auth's store; every
// state-changing request also carries the session's CSRF token and passes
// Go's cross-origin protection. Roles decide the rest (auth.User's
// CanSeePost, CanActOnPost): an officer sees only their post; hq sees every
// post and acts on none; biometric images reach only the post's officers.
//
// The pages need no build step and no outside host: script, style and
// charts (server-side SVG) are embedded; the CSP forbids inline script and
// style. Pages listen to /events and re-fetch only the sections that
// changed; notices are coalesced to at most a few per second.
package web
