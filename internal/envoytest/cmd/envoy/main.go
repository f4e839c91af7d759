// Command envoy is the stand-in Envoy, for tests only: it behaves like Envoy
// wherever envoy-reloader can observe it (see package standin).
package main

import (
	"os"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest/standin"
)

func main() {
	os.Exit(standin.Main(os.Args[1:], os.Stdout, os.Stderr))
}
