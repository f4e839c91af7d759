package bootstrap_test

import (
	"fmt"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

// Load places each problem at its line and column, as `check` prints it.
func ExampleLoad() {
	config := []byte(`static_resources:
  clusters:
  - name: backend
    conect_timeout: 1s
`)
	res := bootstrap.Load("envoy.yaml", config, bootstrap.Options{})
	fmt.Println("valid:", res.Valid())
	for _, d := range res.Diagnostics {
		fmt.Println(d)
	}
	// Output:
	// valid: false
	// envoy.yaml:1:1: warning: no admin address: the reloader confirms restarts through Envoy's admin /server_info
	// envoy.yaml:4:5: error: unknown field "conect_timeout" in envoy.config.cluster.v3.Cluster; did you mean "connect_timeout"?
}

// A valid bootstrap decodes into go-control-plane's Bootstrap.
func ExampleLoad_valid() {
	config := []byte(`admin:
  address:
    socket_address: {address: 127.0.0.1, port_value: 9901}
static_resources:
  clusters:
  - name: backend
    connect_timeout: 1s
`)
	res := bootstrap.Load("envoy.yaml", config, bootstrap.Options{})
	fmt.Println("valid:", res.Valid())
	fmt.Println("clusters:", res.Bootstrap.GetStaticResources().GetClusters()[0].GetName())
	// Output:
	// valid: true
	// clusters: backend
}
