package pki

import (
	"bytes"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"autogate/central/internal/broker"
)

// Files WriteMosquitto writes into its output folder.
const (
	MosquittoConf = "mosquitto.conf"
	MosquittoACL  = "acl"
)

// DefaultMosquittoListen is where the generated Mosquitto listens unless
// told otherwise: every interface, MQTT's TLS port.
const DefaultMosquittoListen = "0.0.0.0:8883"

// WriteMosquitto writes what an external Mosquitto (2.x) needs to enforce
// the same rules as the embedded broker: the CA, the broker's certificate
// and key, an acl file generated from broker.GateRules and
// broker.CentralRules, and a mosquitto.conf with one TLS listener on listen
// (host:port, empty host: every interface) that requires a client
// certificate and takes its CN as the user name. It returns the paths
// written. Existing files in outDir are replaced.
func WriteMosquitto(dataDir, outDir, listen string) ([]string, error) {
	host, portS, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: want host:port, e.g. %s", listen, DefaultMosquittoListen)
	}
	if port, err := strconv.Atoi(portS); err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("listen address %q: the port must be 1–65535", listen)
	}
	if _, err := ServerTLS(dataDir); err != nil {
		return nil, err // also proves the broker's pair loads
	}
	if err := os.MkdirAll(outDir, 0o750); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return nil, err
	}
	var written []string
	put := func(name string, data []byte, mode fs.FileMode) error {
		p := filepath.Join(abs, name)
		written = append(written, p)
		return replaceFile(p, data, mode)
	}
	for _, f := range []struct {
		name string
		mode fs.FileMode
	}{{CAFile, 0o644}, {BrokerFile, 0o644}, {BrokerKeyFile, 0o600}} {
		data, err := readPKIFile(filepath.Join(dataDir, Dir, f.name))
		if err != nil {
			return nil, err
		}
		if err := put(f.name, data, f.mode); err != nil {
			return nil, err
		}
	}
	if err := put(MosquittoACL, mosquittoACL(), 0o644); err != nil {
		return nil, err
	}
	var c bytes.Buffer
	c.WriteString("# autogate: Mosquitto 2.x configuration written by 'central pki mosquitto'.\n")
	c.WriteString("# Regenerate it rather than editing it. Start: mosquitto -c " + filepath.Join(abs, MosquittoConf) + "\n\n")
	c.WriteString("per_listener_settings false\nallow_anonymous false\n")
	fmt.Fprintf(&c, "acl_file %s\n", filepath.Join(abs, MosquittoACL))
	fmt.Fprintf(&c, "# as the embedded broker: room above the largest autogate message, so ingest can count oversize ones\nmax_packet_size %d\n\n", broker.MaxPacketBytes)
	if host == "" {
		fmt.Fprintf(&c, "listener %s\n", portS)
	} else {
		fmt.Fprintf(&c, "listener %s %s\n", portS, host)
	}
	fmt.Fprintf(&c, "cafile %s\ncertfile %s\nkeyfile %s\n", filepath.Join(abs, CAFile), filepath.Join(abs, BrokerFile), filepath.Join(abs, BrokerKeyFile))
	c.WriteString("tls_version tlsv1.2\n")
	c.WriteString("# every client shows a certificate of the fleet CA; its CN (a gate id, or @central) is its user name in the acl\n")
	c.WriteString("require_certificate true\nuse_identity_as_username true\n")
	if err := put(MosquittoConf, c.Bytes(), 0o644); err != nil {
		return nil, err
	}
	return written, nil
}

// mosquittoACL renders the fleet ACL in Mosquitto's acl_file syntax.
func mosquittoACL() []byte {
	var b bytes.Buffer
	b.WriteString("# autogate fleet ACL, written by 'central pki mosquitto' from the rules the\n")
	b.WriteString("# embedded broker applies. Regenerate it rather than editing it.\n\n")
	b.WriteString("# Every gate, by its certificate's name (%u): its own topics, and the fleet's\n")
	b.WriteString("# (Mosquitto warns that the fleet pattern names no %u: it is meant for every client).\n")
	for _, r := range broker.GateRules() {
		fmt.Fprintf(&b, "pattern %s %s\n", r.Access, r.Topic)
	}
	b.WriteString("\n# Central's own clients.\n")
	fmt.Fprintf(&b, "user %s\n", broker.CentralIdentity)
	for _, r := range broker.CentralRules() {
		fmt.Fprintf(&b, "topic %s %s\n", r.Access, r.Topic)
	}
	return b.Bytes()
}
