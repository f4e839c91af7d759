package restart

import (
	"context"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// An endpoint that accepts and closes at once, as Docker's proxy does for
// a published port with nothing listening inside the container, counts as
// refusing — whether the close lands before or after the request is
// written (net/http says "server closed idle connection" in the first
// case, wrapping nothing).
func TestAcceptThenCloseCountsAsRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	admin, err := NewAdmin("http://"+ln.Addr().String(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 { // both orders of close and write occur over a few tries
		_, err := admin.ServerInfo(context.Background())
		if err == nil || !IsRefused(err) {
			t.Fatalf("ServerInfo: %v; want an error IsRefused accepts", err)
		}
	}
}

// An admin error names the request once: net/http's own "Get \"…\":"
// prefix repeated it ("GET http://…/server_info: Get \"http://…/server_info\": dial tcp …").
func TestAdminErrorsNameTheRequestOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	admin, err := NewAdmin("http://"+addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.ServerInfo(context.Background())
	if err == nil || strings.Count(err.Error(), "/server_info") != 1 || !IsRefused(err) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("error %q: want the request named once, and the cause", err)
	}
}

// Every field of ServerInfo but its node is decoded: a field added to the
// proto must be added to serverInfoFields too.
func TestServerInfoFieldsAreAllButNode(t *testing.T) {
	var want []string
	fields := (&adminv3.ServerInfo{}).ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Name() == "node" {
			continue
		}
		want = append(want, string(f.Name()))
		if f.JSONName() != string(f.Name()) {
			want = append(want, f.JSONName())
		}
	}
	var got []string
	st := reflect.TypeFor[serverInfoFields]()
	for i := range st.NumField() {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		got = append(got, name)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("serverInfoFields decodes %v; ServerInfo without node has %v", got, want)
	}
}

// A real Envoy's /server_info decodes without its node, every other field
// as protojson reads it.
func TestDecodeServerInfoKeepsAllButNode(t *testing.T) {
	full := &adminv3.ServerInfo{
		Version: "v", State: adminv3.ServerInfo_DRAINING, HotRestartVersion: "11.104",
		UptimeCurrentEpoch: durationpb.New(3 * time.Second), UptimeAllEpochs: durationpb.New(9 * time.Second),
		CommandLineOptions:     &adminv3.CommandLineOptions{RestartEpoch: 4, ConfigPath: "/etc/envoy/envoy.yaml", DrainTime: durationpb.New(time.Second)},
		Node:                   &corev3.Node{Id: "n", Extensions: []*corev3.Extension{{Name: "envoy.filters.http.router"}}},
		HotRestartInitializing: true,
	}
	want := proto.Clone(full).(*adminv3.ServerInfo)
	want.Node = nil
	for _, protoNames := range []bool{true, false} { // Envoy's, and protojson's default
		body, err := protojson.MarshalOptions{UseProtoNames: protoNames}.Marshal(full)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeServerInfo(body)
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, want) {
			t.Fatalf("proto names %v: decoded %v, want %v", protoNames, got, want)
		}
	}
}
