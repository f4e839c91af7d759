package fidelity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// workdir is one source's directory, with the files it references.
type workdir struct {
	dir  string
	data []byte // the bootstrap, its absolute paths moved into dir
}

// prepare creates, in a directory of its own, every file the bootstrap
// references as a user's machine would have them: certificates and keys (one
// self-signed pair, so every certificate matches every key), Lua scripts,
// xDS files copied from beside the source, directories for runtime roots
// and access logs. Absolute paths are moved under the directory.
func prepare(root string, i int, src Source, pair [2][]byte) (workdir, error) {
	dir := filepath.Join(root, fmt.Sprintf("src%03d", i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return workdir{}, err
	}
	text := string(src.Data)
	var doc yaml.Node
	if yaml.Unmarshal(src.Data, &doc) != nil {
		return workdir{dir: dir, data: src.Data}, nil
	}
	var walk func(n *yaml.Node, parentKey string, parent *yaml.Node)
	seen := map[string]bool{}
	walk = func(n *yaml.Node, parentKey string, parent *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(n.Content); j += 2 {
				k, v := n.Content[j].Value, n.Content[j+1]
				if v.Kind == yaml.ScalarNode && v.Value != "" && !seen[v.Value] {
					switch {
					case k == "filename" || k == "inline_filename":
						seen[v.Value] = true
						text = materialize(text, dir, v.Value, src, pair, parent)
					case k == "path" && (parentKey == "path_config_source" || get(n, "@type") != nil) && !strings.HasPrefix(v.Value, "/dev/"):
						seen[v.Value] = true
						text = materialize(text, dir, v.Value, src, pair, parent)
					case k == "symlink_root" || k == "subdirectory" && parentKey == "disk_layer":
						seen[v.Value] = true
						target := v.Value
						if filepath.IsAbs(target) {
							text = strings.ReplaceAll(text, target, dir+target)
						}
						_ = os.MkdirAll(filepath.Join(dir, target), 0o755)
						if filepath.IsAbs(target) {
							_ = os.MkdirAll(dir+target, 0o755)
						}
					}
				}
				walk(v, k, n)
			}
			return
		}
		for _, c := range n.Content {
			walk(c, parentKey, parent)
		}
	}
	walk(doc.Content[0], "", nil)
	return workdir{dir: dir, data: []byte(text)}, nil
}

func get(m *yaml.Node, k string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i+1]
		}
	}
	return nil
}

func materialize(text, dir, ref string, src Source, pair [2][]byte, parent *yaml.Node) string {
	local := filepath.Join(dir, ref)
	if filepath.IsAbs(ref) {
		local = dir + ref
		text = strings.ReplaceAll(text, ref, local)
	}
	_ = os.MkdirAll(filepath.Dir(local), 0o755)
	base := strings.ToLower(filepath.Base(ref))
	var content []byte
	switch {
	case strings.Contains(base, "key"):
		content = pair[1]
	case strings.HasSuffix(base, ".pem") || strings.HasSuffix(base, ".crt") || strings.HasSuffix(base, ".cert"):
		content = pair[0]
	case strings.HasSuffix(base, ".lua"):
		content = []byte("function envoy_on_request(h) end\nfunction envoy_on_response(h) end\n")
	case strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml") || strings.HasSuffix(base, ".json"):
		content = sibling(src.Path, filepath.Base(ref))
		if content == nil && strings.Contains(base, "secret") {
			name := "secret"
			if parent != nil {
				if n := get(parent, "name"); n != nil {
					name = n.Value
				}
			}
			content = []byte(fmt.Sprintf("resources:\n- \"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret\n  name: %s\n  generic_secret: {secret: {inline_string: x}}\n", name))
		}
		if content == nil {
			// An xDS file the source does not ship (Envoy Gateway's SDS
			// files exist only in its pods): no resources, valid YAML and JSON.
			content = []byte(`{"resources": []}` + "\n")
		}
	case strings.HasSuffix(base, ".log"):
		content = []byte{}
	}
	if content != nil {
		_ = os.WriteFile(local, content, 0o644)
	}
	return text
}

// sibling finds a file of that name in or under the source's directory
// (a compose file mounts ./configs/cds.yaml as /var/lib/envoy/cds.yaml).
func sibling(srcPath, name string) []byte {
	var found []byte
	_ = filepath.WalkDir(filepath.Dir(srcPath), func(p string, d os.DirEntry, err error) error {
		if err == nil && found == nil && !d.IsDir() && d.Name() == name {
			found, _ = os.ReadFile(p)
		}
		return nil
	})
	return found
}

func keyPair() ([2][]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return [2][]byte{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example.com"}, DNSNames: []string{"example.com", "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return [2][]byte{}, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return [2][]byte{}, err
	}
	return [2][]byte{pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})}, nil
}
