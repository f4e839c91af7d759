package restart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/envoy-reloader/envoy-reloader/internal/adminurl"
)

// Admin reads Envoy's admin endpoint. Every request dials a new connection
// and asks for it to be closed: after a hot restart the old Envoy keeps
// answering, with its old epoch, on every connection it accepted before, so a
// reused keep-alive connection would report the old epoch for as long as the
// old Envoy drains. This is the product's central property, and tested.
type Admin struct {
	base    *url.URL
	client  *http.Client
	timeout time.Duration
}

// NewAdmin returns a client of the admin endpoint at rawURL (http or https).
// Each request is bounded by timeout.
func NewAdmin(rawURL string, timeout time.Duration) (*Admin, error) {
	u, err := adminurl.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("admin URL %w", err)
	}
	transport := &http.Transport{
		DisableKeepAlives: true,
		Proxy:             nil, // a local admin endpoint is never reached through a proxy
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &trackedConn{Conn: c}, nil
		},
	}
	return &Admin{
		base: u,
		client: &http.Client{
			Transport: transport,
			// An admin endpoint does not redirect; following one could leak
			// requests elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout: timeout,
	}, nil
}

// URL is the admin endpoint's base URL.
func (a *Admin) URL() string { return a.base.String() }

// ServerInfo reads /server_info on a fresh connection.
func (a *Admin) ServerInfo(ctx context.Context) (*adminv3.ServerInfo, error) {
	body, err := a.get(ctx, "server_info")
	if err != nil {
		return nil, err
	}
	info, err := decodeServerInfo(body)
	if err != nil {
		return nil, fmt.Errorf("decode %s/server_info: %w", a.base, err)
	}
	return info, nil
}

// serverInfoFields is ServerInfo without its node, which is nearly all of a
// real Envoy's answer (the list of its extensions) and read by nothing here
// (TestServerInfoFieldsAreAllButNode keeps the list whole):
// skipping it makes the decode about a third as long (1.6 against 5.5 ms
// for a 124 KB answer), on the way from LIVE to confirmed.
type serverInfoFields struct {
	Version            json.RawMessage `json:"version,omitempty"`
	State              json.RawMessage `json:"state,omitempty"`
	UptimeCurrentEpoch json.RawMessage `json:"uptime_current_epoch,omitempty"`
	UptimeAllEpochs    json.RawMessage `json:"uptime_all_epochs,omitempty"`
	HotRestartVersion  json.RawMessage `json:"hot_restart_version,omitempty"`
	CommandLineOptions json.RawMessage `json:"command_line_options,omitempty"`
	// HotRestartInitializing comes after node in Envoy's answer.
	HotRestartInitializing json.RawMessage `json:"hot_restart_initializing,omitempty"`

	// Envoy writes proto names; protojson reads JSON names as well, and so
	// does this.
	UptimeCurrentEpochJSON     json.RawMessage `json:"uptimeCurrentEpoch,omitempty"`
	UptimeAllEpochsJSON        json.RawMessage `json:"uptimeAllEpochs,omitempty"`
	HotRestartVersionJSON      json.RawMessage `json:"hotRestartVersion,omitempty"`
	CommandLineOptionsJSON     json.RawMessage `json:"commandLineOptions,omitempty"`
	HotRestartInitializingJSON json.RawMessage `json:"hotRestartInitializing,omitempty"`
}

func decodeServerInfo(body []byte) (*adminv3.ServerInfo, error) {
	var fields serverInfoFields
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, err
	}
	kept, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	info := &adminv3.ServerInfo{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(kept, info); err != nil {
		return nil, err
	}
	return info, nil
}

// EpochStat reads only the restart epoch, from the server.hot_restart_epoch
// gauge (source/server/server.cc, server stats): tens of bytes, where a
// real Envoy's /server_info is over 100 KB (its node's extension list),
// built on the main thread that every admin request waits for. Like every
// admin request it goes on a fresh connection.
func (a *Admin) EpochStat(ctx context.Context) (uint32, error) {
	g, err := a.gauges(ctx, `^server\.hot_restart_epoch$`, "server.hot_restart_epoch")
	if err != nil {
		return 0, err
	}
	return g[0], nil
}

// EpochState reads the restart epoch and the server's state from their
// gauges: server.state is ServerInfo's State (source/server/utils.cc,
// serverState; docs' server statistics), so a confirmation can poll these
// tens of bytes instead of the whole /server_info.
func (a *Admin) EpochState(ctx context.Context) (uint32, adminv3.ServerInfo_State, error) {
	g, err := a.gauges(ctx, `^server\.(hot_restart_epoch|state)$`, "server.hot_restart_epoch", "server.state")
	if err != nil {
		return 0, 0, err
	}
	return g[0], adminv3.ServerInfo_State(g[1]), nil
}

// ErrNoStat is wrapped when Envoy's /stats lacks a gauge asked for (an
// Envoy without it, or without /stats): the caller reads /server_info.
var ErrNoStat = errors.New("gauge not in /stats")

// gauges reads the named gauges, in order, from /stats filtered by filter.
func (a *Admin) gauges(ctx context.Context, filter string, names ...string) ([]uint32, error) {
	body, err := a.get(ctx, "stats?format=json&filter="+url.QueryEscape(filter))
	if err != nil {
		var se *statusError
		if errors.As(err, &se) && se.code == http.StatusNotFound {
			return nil, fmt.Errorf("%s/stats: %w", a.base, ErrNoStat)
		}
		return nil, err
	}
	var stats struct {
		Stats []struct {
			Name  string  `json:"name"`
			Value *uint32 `json:"value"`
		} `json:"stats"`
	}
	if err := json.Unmarshal(body, &stats); err != nil {
		return nil, fmt.Errorf("decode %s/stats: %w", a.base, err)
	}
	out := make([]uint32, len(names))
	for i, name := range names {
		found := false
		for _, st := range stats.Stats {
			if st.Name == name && st.Value != nil {
				out[i], found = *st.Value, true
			}
		}
		if !found {
			return nil, fmt.Errorf("%s in %s/stats: %w", name, a.base, ErrNoStat)
		}
	}
	return out, nil
}

func (a *Admin) get(ctx context.Context, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	path, query, _ := strings.Cut(path, "?")
	u := a.base.JoinPath(path)
	u.RawQuery = query
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("admin request: %w", err)
	}
	req.Close = true
	req.Header.Set("Connection", "close")
	var conn *trackedConn
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { conn, _ = info.Conn.(*trackedConn) },
	}))
	resp, err := a.client.Do(req)
	if err != nil {
		// net/http's *url.Error repeats the method and URL this error names.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if conn != nil && conn.closedUnanswered.Load() {
			err = fmt.Errorf("%w: %w", ErrClosedUnanswered, err)
		}
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %w: %s", u, &statusError{code: resp.StatusCode, status: resp.Status}, strings.TrimSpace(string(body[:min(len(body), 200)])))
	}
	return body, nil
}

// statusError is an admin answer other than 200.
type statusError struct {
	code   int
	status string
}

func (e *statusError) Error() string { return e.status }

// IsRefused reports whether err means nothing listens on the admin address.
// Through a port Docker publishes, its proxy accepts the connection and then
// resets or closes it when nothing listens inside the container, so those
// count too on a fresh connection.
func IsRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrClosedUnanswered)
}

// ErrClosedUnanswered marks a request whose fresh connection the other end
// closed before sending a byte, as Docker's proxy does when nothing listens
// in the container. When that close comes before the request is written,
// net/http reports it as "server closed idle connection", an error that
// wraps nothing, so the connection itself is watched.
var ErrClosedUnanswered = errors.New("the connection was closed without an answer")

// trackedConn notices that the other end closed the connection before
// sending anything.
type trackedConn struct {
	net.Conn
	answered         atomic.Bool
	closedUnanswered atomic.Bool
}

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.answered.Store(true)
	}
	if err != nil && !c.answered.Load() && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
		c.closedUnanswered.Store(true)
	}
	return n, err
}
