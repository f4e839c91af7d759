package bootstrap

import (
	"strconv"
	"strings"
	"testing"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// tlsDoc is a TCP listener (line 6 holds its transport socket's
// DownstreamTlsContext fields) and a cluster of the given UpstreamTlsContext
// fields (line 14).
func tlsDoc(down, up string) string {
	return "static_resources:\n  listeners:\n  - name: l\n    address: {socket_address: {address: 0.0.0.0, port_value: 1}}\n    filter_chains:\n" +
		"    - transport_socket: {name: tls, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext" + down + "}}\n" +
		"      filters:\n      - name: tcp\n        typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: s, cluster: c}\n" +
		"  clusters:\n  - name: c\n    transport_socket:\n      name: tls\n      typed_config: {\"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext" + up + "}\n"
}

func TestTLSContextRules(t *testing.T) {
	const (
		chain = "certificate_chain: {filename: @DIR@/cert.pem}"
		key   = "private_key: {filename: @DIR@/key.pem}"
		good  = ", common_tls_context: {tls_certificates: [{" + chain + ", " + key + "}]}"
		sds   = "tls_certificate_sds_secret_configs: [{name: s, sds_config: {path_config_source: {path: @DIR@/cert.pem}}}]"
	)
	runEnvoyCases(t, []envoyCase{
		{"server with a certificate", tlsDoc(good, ""), "", 0, ""},
		{"server without common_tls_context", tlsDoc("", ""), "No TLS certificates found for server context", 6, ""},
		{"server with an empty common_tls_context", tlsDoc(", common_tls_context: {}", ""), "No TLS certificates found for server context", 6, ""},
		{"server with a certificate provider instance only", tlsDoc(", common_tls_context: {tls_certificate_provider_instance: {instance_name: x}}", ""), "No TLS certificates found for server context", 6, ""},
		{"server over SDS", tlsDoc(", common_tls_context: {"+sds+"}", ""), "", 0, ""},
		{"server mixing SDS and inline", tlsDoc(", common_tls_context: {"+sds+", tls_certificates: [{"+chain+", "+key+"}]}", ""), "SDS and non-SDS TLS certificates may not be mixed in server contexts", 6, ""},
		{"server with an empty certificate", tlsDoc(", common_tls_context: {tls_certificates: [{password: {inline_string: x}}]}", ""), "Server TlsCertificates must have a certificate specified", 6, ""},
		{"server certificate without chain", tlsDoc(", common_tls_context: {tls_certificates: [{"+key+"}]}", ""), "Failed to load incomplete certificate from : certificate chain not set", 6, ""},
		{"server certificate with an empty inline chain", tlsDoc(", common_tls_context: {tls_certificates: [{certificate_chain: {inline_string: ''}, "+key+"}]}", ""),
			"Failed to load incomplete certificate from : certificate chain not set", 6, ""},
		{"server certificate without key", tlsDoc(", common_tls_context: {tls_certificates: [{"+chain+"}]}", ""), "Failed to load incomplete private key from path:", 6, ""},
		{"client without certificates", tlsDoc(good, ""), "", 0, ""},
		{"client with an empty certificate", tlsDoc(good, ", common_tls_context: {tls_certificates: [{}]}"), "", 0, ""},
		{"client certificate without chain", tlsDoc(good, ", common_tls_context: {tls_certificates: [{"+key+"}]}"), "Failed to load incomplete certificate from : certificate chain not set", 14, ""},
		{"client certificate without key", tlsDoc(good, ", common_tls_context: {tls_certificates: [{"+chain+"}]}"), "Failed to load incomplete private key from path:", 14, ""},
	})
}

// TestStaticSecretRules: a secret named without an sds_config must be one
// of static_resources.secrets.
func TestStaticSecretRules(t *testing.T) {
	const (
		secrets = "  secrets:\n  - name: cert\n    tls_certificate: {certificate_chain: {filename: @DIR@/cert.pem}, private_key: {filename: @DIR@/key.pem}}\n" +
			"  - name: ca\n    validation_context: {trusted_ca: {filename: @DIR@/cert.pem}}\n"
		pair = "tls_certificates: [{certificate_chain: {filename: @DIR@/cert.pem}, private_key: {filename: @DIR@/key.pem}}]"
	)
	runEnvoyCases(t, []envoyCase{
		{"static certificate", tlsDoc(", common_tls_context: {tls_certificate_sds_secret_configs: [{name: cert}]}", "") + secrets, "", 0, ""},
		{"unknown static certificate", tlsDoc(", common_tls_context: {tls_certificate_sds_secret_configs: [{name: nope}]}", "") + secrets, "Unknown static secret: nope", 6, ""},
		{"static validation context", tlsDoc(", common_tls_context: {"+pair+", validation_context_sds_secret_config: {name: ca}}", "") + secrets, "", 0, ""},
		{"unknown static validation context", tlsDoc(", common_tls_context: {"+pair+", validation_context_sds_secret_config: {name: nope}}", ""),
			"Unknown static certificate validation context: nope", 6, ""},
		{"unknown static combined validation context", tlsDoc(", common_tls_context: {"+pair+", combined_validation_context: {default_validation_context: {}, validation_context_sds_secret_config: {name: nope}}}", ""),
			"Unknown static certificate validation context: nope", 6, ""},
		{"unknown static session ticket keys", tlsDoc(", session_ticket_keys_sds_secret_config: {name: nope}, common_tls_context: {"+pair+"}", ""),
			"Unknown tls session ticket keys: nope", 6, ""},
		{"client to an unknown static certificate", tlsDoc(", common_tls_context: {"+pair+"}", ", common_tls_context: {tls_certificate_sds_secret_configs: [{name: nope}]}"), "Unknown static secret: nope", 14, ""},
	})
}

// TestInlinePEMRules: inline certificate chains and keys are read as PEM
// (their DER is left to Envoy).
func TestInlinePEMRules(t *testing.T) {
	cert, key := envoytest.CertPEM("rules"), envoytest.KeyPEM()
	inline := func(c, k string) string {
		return tlsDoc(", common_tls_context: {tls_certificates: [{certificate_chain: {inline_string: "+strconv.Quote(c)+"}, private_key: {inline_string: "+strconv.Quote(k)+"}}]}", "")
	}
	broken := strings.Replace(key, "\n", "\n!!!!", 1)
	const (
		noKey  = "Failed to load private key from <inline>: no PEM private key in it"
		noCert = "Failed to load certificate chain from <inline>: no PEM certificate in it"
	)
	runEnvoyCases(t, []envoyCase{
		{"inline pair", inline(cert, key), "", 0, ""},
		{"inline pair with CRLF", inline(strings.ReplaceAll(cert, "\n", "\r\n"), strings.ReplaceAll(key, "\n", "\r\n")), "", 0, ""},
		{"a certificate before the key", inline(cert, cert+key), "", 0, ""},
		{"a key before the certificate", inline(key+cert, key), "", 0, ""},
		{"the certificate as the key", inline(cert, cert), noKey, 6, "Failed to load private key from <inline>"},
		{"a key that is not base64", inline(cert, broken), noKey, 6, "BAD_BASE64_DECODE"},
		{"a key that is no PEM", inline(cert, "hello"), noKey, 6, "NO_START_LINE"},
		{"the key as the certificate", inline(key, key), noCert, 6, "Failed to load certificate chain from <inline>"},
		// What /config_dump prints for a key: not judged (Envoy refuses it).
		{"a redacted key", inline(cert, "[redacted]"), "", 0, "skip"},
	})
}
