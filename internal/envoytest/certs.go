package envoytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"sync"
	"time"
)

var (
	certsMu sync.Mutex
	certs   = map[string]string{}

	keyOnce sync.Once
	key     *ecdsa.PrivateKey
	keyPEM  string
)

func testKey() *ecdsa.PrivateKey {
	keyOnce.Do(func() {
		var err error
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			panic(err)
		}
		keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	})
	return key
}

// KeyPEM is the private key of every CertPEM, PEM-encoded.
func KeyPEM() string {
	testKey()
	return keyPEM
}

// CertPEM is a self-signed CA certificate for the common name name, PEM
// encoded: a real Envoy loads only real certificates, and each name gives
// other bytes, so that tests can tell one saved certificate from another.
// The same name gives the same bytes within a test process.
func CertPEM(name string) string {
	certsMu.Lock()
	defer certsMu.Unlock()
	if c, ok := certs[name]; ok {
		return c
	}
	k := testKey()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		panic(err)
	}
	certs[name] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return certs[name]
}
