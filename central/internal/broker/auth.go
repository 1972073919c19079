package broker

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/prometheus/client_golang/prometheus"

	"autogate/internal/wire"
)

// Reasons of autogate_broker_denied_total.
const (
	DenyNoCertificate  = "no_certificate"  // TLS without a client certificate, or no TLS at all
	DenyBadCertificate = "bad_certificate" // a certificate the fleet CA did not issue, expired, or not for clients
	DenyTLSHandshake   = "tls_handshake"   // any other failed handshake (plain MQTT on the TLS port, ...)
	DenyClientID       = "client_id"       // a gate's client id is not its own
	DenyNotEnrolled    = "not_enrolled"    // a gate certificate replaced by a reissue, or a gate removed
	DenyWill           = "acl_will"        // a last will on a topic the client may not publish
	DenyPublish        = "acl_publish"
	DenySubscribe      = "acl_subscribe"
)

var denyReasons = []string{DenyNoCertificate, DenyBadCertificate, DenyTLSHandshake, DenyClientID, DenyNotEnrolled, DenyWill, DenyPublish, DenySubscribe}

// CertAuth is the embedded broker's authentication and ACL hook: a client
// is who its verified TLS client certificate says (its CN), central's
// clients (CN "@central") may use all of autogate/v1/#, and a gate only its
// own topics and the fleet topics (GateRules). Every refusal is logged and
// counted in autogate_broker_denied_total{reason}.
type CertAuth struct {
	mqtt.HookBase
	// Enrolled, when set, is asked at every gate's connect whether its
	// certificate is still the gate's current one (pki.EnrolledCheck): the
	// CA's signature alone would keep a reissued gate's old certificate
	// valid until it expires. Set it before the broker starts.
	Enrolled func(gate string, cert *x509.Certificate) error

	log    *slog.Logger
	denied *prometheus.CounterVec
}

// NewCertAuth returns the hook; reg may be nil (nothing exported). Use it
// with a listener that requires client certificates (Options.TLS from
// pki.ServerTLS): without TLS every client is refused.
func NewCertAuth(log *slog.Logger, reg prometheus.Registerer) *CertAuth {
	if log == nil {
		log = slog.Default()
	}
	denied := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "autogate_broker_denied_total",
		Help: "MQTT clients and packets the embedded broker refused, by reason.",
	}, []string{"reason"})
	if reg != nil {
		if err := reg.Register(denied); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				log.Error("registering autogate_broker_denied_total", "error", err)
			} else if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				denied = existing
			}
		}
	}
	for _, r := range denyReasons {
		denied.WithLabelValues(r) // export every reason from the start, at 0
	}
	return &CertAuth{log: log.With("component", "mqtt-auth"), denied: denied}
}

// Describe and Collect export autogate_broker_denied_total, for a registry
// that did not exist yet when the hook was made.
func (a *CertAuth) Describe(ch chan<- *prometheus.Desc) { a.denied.Describe(ch) }

// Collect: see Describe.
func (a *CertAuth) Collect(ch chan<- prometheus.Metric) { a.denied.Collect(ch) }

// ID names the hook for mochi.
func (a *CertAuth) ID() string { return "autogate-cert-auth" }

// Provides says which hook methods mochi must call.
func (a *CertAuth) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnectAuthenticate, mqtt.OnACLCheck}, []byte{b})
}

// Identity returns the CN of the client's verified certificate, or "" when
// the connection is not TLS or carries no verified certificate.
func Identity(cl *mqtt.Client) string {
	if c := verifiedCert(cl); c != nil {
		return c.Subject.CommonName
	}
	return ""
}

// verifiedCert is the client's certificate from its verified chain: only
// that counts, PeerCertificates alone could be anything the client sent.
func verifiedCert(cl *mqtt.Client) *x509.Certificate {
	if cl == nil {
		return nil
	}
	tc, ok := cl.Net.Conn.(*tls.Conn)
	if !ok {
		return nil
	}
	st := tc.ConnectionState()
	if !st.HandshakeComplete || len(st.VerifiedChains) == 0 || len(st.VerifiedChains[0]) == 0 {
		return nil
	}
	return st.VerifiedChains[0][0]
}

// OnConnectAuthenticate admits a client with a verified certificate whose
// name is central's or a valid gate id, a gate only under its own client
// id (so one gate cannot take over another's session or last will), and
// only with a last will it may publish (mochi does not check wills
// against the ACL).
func (a *CertAuth) OnConnectAuthenticate(cl *mqtt.Client, _ packets.Packet) bool {
	who := Identity(cl)
	switch {
	case who == "":
		a.deny(DenyNoCertificate, cl, who, "", "MQTT client refused: no verified client certificate (give the client a credentials bundle from 'central gate add')")
		return false
	case who != CentralIdentity && wire.ValidateGateID(who) != nil:
		a.deny(DenyBadCertificate, cl, who, "", "MQTT client refused: certificate name is neither central's nor a valid gate id")
		return false
	case who == CentralIdentity && strings.HasPrefix(cl.ID, wire.GateClientID("")):
		a.deny(DenyClientID, cl, who, "", "MQTT client refused: central's certificate with a gate's client id")
		return false
	case who != CentralIdentity && cl.ID != wire.GateClientID(who):
		a.deny(DenyClientID, cl, who, "", "MQTT client refused: a gate must connect with its own client id "+wire.GateClientID(who))
		return false
	}
	if who != CentralIdentity && a.Enrolled != nil {
		if err := a.Enrolled(who, verifiedCert(cl)); err != nil {
			a.deny(DenyNotEnrolled, cl, who, "", "MQTT client refused: "+err.Error())
			return false
		}
	}
	if cl.Properties.Will.Flag == 1 && !Allowed(who, cl.Properties.Will.TopicName, true) {
		a.deny(DenyWill, cl, who, cl.Properties.Will.TopicName, "MQTT client refused: last will on a topic it may not publish")
		return false
	}
	a.log.Debug("MQTT client authenticated", "client", cl.ID, "cn", who, "remote", cl.Net.Remote)
	return true
}

// OnACLCheck allows a publish (write) or a subscription / delivery (read)
// by the rules of the client's identity.
func (a *CertAuth) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	who := Identity(cl)
	if Allowed(who, topic, write) {
		return true
	}
	if write {
		a.deny(DenyPublish, cl, who, topic, "MQTT publish refused by the ACL")
	} else {
		a.deny(DenySubscribe, cl, who, topic, "MQTT subscription refused by the ACL")
	}
	return false
}

func (a *CertAuth) deny(reason string, cl *mqtt.Client, who, topic, msg string) {
	a.denied.WithLabelValues(reason).Inc()
	attrs := []any{"reason", reason, "cn", who}
	if cl != nil {
		attrs = append(attrs, "client", cl.ID, "remote", cl.Net.Remote)
	}
	if topic != "" {
		attrs = append(attrs, "topic", topic)
	}
	a.log.Warn(msg, attrs...)
}

// handshakeFailed counts and logs a TLS handshake the listener refused.
func (a *CertAuth) handshakeFailed(remote string, err error) {
	reason := DenyTLSHandshake
	var verr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &verr):
		reason = DenyBadCertificate
	case strings.Contains(err.Error(), "didn't provide a certificate"):
		// crypto/tls has no sentinel for this; the text is stable since Go 1.0.
		reason = DenyNoCertificate
	}
	a.denied.WithLabelValues(reason).Inc()
	a.log.Warn("MQTT client refused in the TLS handshake", "reason", reason, "remote", remote, "error", err)
}
