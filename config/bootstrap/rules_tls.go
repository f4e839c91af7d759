package bootstrap

import (
	"encoding/pem"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// TLS context rules the 1.40.0 binary enforces when it builds a listener's
// or a cluster's transport socket. The contents of certificate and key
// files stay unread (a missing file is only a warning); what is checked
// is the shape: which certificates a context has.

// checkTLSContext mirrors ContextConfigImpl (source/common/tls/context_config_impl.cc)
// and, for a server, ServerContextConfigImpl
// (source/common/tls/server_context_config_impl.cc) and ServerContextImpl
// (source/common/tls/context_impl.cc):
//   - a TlsCertificate with none of certificate_chain, private_key,
//     private_key_provider and pkcs12 is skipped; any other needs a
//     certificate chain and a private key (or key provider) that are not
//     empty inline (source/common/ssl/tls_certificate_config_impl.cc);
//   - a server context needs certificates, inline or over SDS (or a custom
//     certificate selector), and cannot mix the two.
func (r *rules) checkTLSContext(common *tlsv3.CommonTlsContext, server bool, entry *decodedMessage) {
	usable := 0
	for _, c := range common.GetTlsCertificates() {
		if c.GetPrivateKeyProvider() == nil && c.GetCertificateChain() == nil && c.GetPrivateKey() == nil && c.GetPkcs12() == nil {
			continue
		}
		usable++
		if c.GetPkcs12() != nil {
			continue
		}
		ce := r.byMsg[c]
		if ce == nil {
			continue
		}
		if emptyInline(c.GetCertificateChain()) {
			r.errorf(fieldKey(ce, "certificate_chain"), joinPath(ce.path, "certificate_chain"),
				"Failed to load incomplete certificate from : certificate chain not set")
		}
		if c.GetPrivateKeyProvider() == nil && emptyInline(c.GetPrivateKey()) {
			r.errorf(fieldKey(ce, "private_key"), joinPath(ce.path, "private_key"), "Failed to load incomplete private key from path:")
		}
		r.checkInlinePEM(c.GetCertificateChain(), ce, "certificate_chain", "Failed to load certificate chain from <inline>: no PEM certificate in it", isCertBlock)
		r.checkInlinePEM(c.GetPrivateKey(), ce, "private_key", "Failed to load private key from <inline>: no PEM private key in it", isKeyBlock)
	}
	if !server {
		return
	}
	ce := r.byMsg[common]
	at, path := entry.at, entry.path
	if ce != nil {
		at, path = fieldKey(entry, "common_tls_context"), ce.path
	}
	inline, sds := len(common.GetTlsCertificates()), len(common.GetTlsCertificateSdsSecretConfigs())
	custom := common.GetCustomHandshaker() != nil || common.GetCustomTlsCertificateSelector() != nil
	switch {
	case custom:
	case inline+sds == 0:
		r.errorf(at, path, "No TLS certificates found for server context")
	case inline > 0 && sds > 0:
		r.errorf(at, path, "SDS and non-SDS TLS certificates may not be mixed in server contexts")
	case sds == 0 && usable == 0:
		r.errorf(at, joinPath(path, "tls_certificates"), "Server TlsCertificates must have a certificate specified")
	}
}

// checkInlinePEM: an inline certificate chain or private key is read with
// BoringSSL's PEM_read_bio_X509_AUX and PEM_read_bio_PrivateKey
// (source/common/tls/context_impl.cc, source/common/tls/utility.cc), which
// find the first PEM block of their kind and refuse a text without one
// (NO_START_LINE) or whose block is not base64 (BAD_BASE64_DECODE); Go's
// pem.Decode skips a block it cannot decode in the same way. Only inline
// texts are read: a file may differ where Envoy runs, and a block's DER is
// left to Envoy.
func (r *rules) checkInlinePEM(ds *corev3.DataSource, entry *decodedMessage, field, msg string, kind func(string) bool) {
	var text []byte
	switch s := ds.GetSpecifier().(type) {
	case *corev3.DataSource_InlineString:
		text = []byte(s.InlineString)
	case *corev3.DataSource_InlineBytes:
		text = s.InlineBytes
	}
	if len(text) == 0 || string(text) == redactedMarker {
		return
	}
	for rest := text; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if kind(b.Type) {
			return
		}
	}
	r.errorf(entry.pos(protoreflect.Name(field)), joinPath(entry.path, field), "%s", msg)
}

// redactedMarker is how Envoy's /config_dump prints a sensitive field
// (MessageUtil::redact): the reloader reads such dumps back to compare them
// with the saved bootstrap, and the marker is not a key anyone wrote, so it
// is left alone (Envoy itself would refuse it as a key: NO_START_LINE).
const redactedMarker = "[redacted]"

// isCertBlock and isKeyBlock are the PEM labels BoringSSL reads as a
// certificate (PEM_STRING_X509, _OLD, _TRUSTED) and as a private key (any
// "... PRIVATE KEY": PKCS#8, its encrypted form, RSA, EC, DSA).
func isCertBlock(t string) bool {
	return t == "CERTIFICATE" || t == "X509 CERTIFICATE" || t == "TRUSTED CERTIFICATE"
}

func isKeyBlock(t string) bool { return strings.HasSuffix(t, "PRIVATE KEY") }

// checkStaticSecrets: a secret named without an sds_config is a static
// one, looked up among static_resources.secrets when the context is built
// (getTlsCertificateConfigProviders and getProviderFromSds in
// source/common/tls/context_config_impl.cc).
func (r *rules) checkStaticSecrets(common *tlsv3.CommonTlsContext, secrets map[string]bool) {
	for _, s := range common.GetTlsCertificateSdsSecretConfigs() {
		r.checkStaticSecret(s, secrets, "Unknown static secret: %s")
	}
	r.checkStaticSecret(common.GetValidationContextSdsSecretConfig(), secrets, "Unknown static certificate validation context: %s")
	r.checkStaticSecret(common.GetCombinedValidationContext().GetValidationContextSdsSecretConfig(), secrets, "Unknown static certificate validation context: %s")
}

func (r *rules) checkStaticSecret(s *tlsv3.SdsSecretConfig, secrets map[string]bool, format string) {
	if s == nil || s.GetSdsConfig() != nil || secrets[s.GetName()] {
		return
	}
	if e := r.byMsg[s]; e != nil {
		r.errorf(e.pos("name"), joinPath(e.path, "name"), format, s.GetName())
	}
}

// emptyInline reports a data source that Envoy reads as empty without
// reading a file: absent, or an empty inline string or bytes. A file's
// contents are not judged here.
func emptyInline(ds *corev3.DataSource) bool {
	switch s := ds.GetSpecifier().(type) {
	case nil:
		return true
	case *corev3.DataSource_InlineString:
		return s.InlineString == ""
	case *corev3.DataSource_InlineBytes:
		return len(s.InlineBytes) == 0
	}
	return false
}
