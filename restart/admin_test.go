package restart

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
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
