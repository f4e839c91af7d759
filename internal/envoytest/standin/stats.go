package standin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"time"
)

// stats serves /stats for the server gauges a reloader reads, as Envoy
// does (source/server/admin/stats_handler.cc): filter is an RE2 regex over
// the names, format=json gives {"stats":[{"name":…,"value":…}]}, the text
// format "name: value" lines. server.state is ServerInfo's State
// (source/server/utils.cc, serverState).
func (s *server) stats(w http.ResponseWriter, r *http.Request) {
	var filter *regexp.Regexp
	if f := r.URL.Query().Get("filter"); f != "" {
		re, err := regexp.Compile(f)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "Invalid re2 regex")
			return
		}
		filter = re
	}
	type stat struct {
		Name  string `json:"name"`
		Value int64  `json:"value"`
	}
	live := int64(0)
	if s.state.Load() == 0 {
		live = 1
	}
	all := []stat{
		{"server.hot_restart_epoch", int64(s.opts.restartEpoch)},
		{"server.live", live},
		{"server.state", int64(s.state.Load())},
		{"server.uptime", int64(time.Since(s.start) / time.Second)},
	}
	out := []stat{}
	for _, st := range all {
		if filter == nil || filter.MatchString(st.Name) {
			out = append(out, st)
		}
	}
	if r.URL.Query().Get("format") == "json" {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(struct {
			Stats []stat `json:"stats"`
		}{out})
		return
	}
	for _, st := range out {
		fmt.Fprintf(w, "%s: %d\n", st.Name, st.Value)
	}
}
