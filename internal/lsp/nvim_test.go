package lsp

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nvimScript is run by a headless Neovim (0.7, Debian's): it opens the
// file, starts `envoy-reloader lsp` as its language server, waits for the
// first diagnostics, turns "type:" on line LSP_LINE into "tpye:" as an
// edit of the buffer, waits for an error and writes the diagnostics back.
const nvimScript = `
local ok, err = pcall(function()
  local pubs = 0
  local orig = vim.lsp.handlers['textDocument/publishDiagnostics']
  vim.lsp.handlers['textDocument/publishDiagnostics'] = function(e, res, ctx, cfg)
    pubs = pubs + 1
    return orig(e, res, ctx, cfg)
  end
  vim.cmd('edit ' .. vim.fn.fnameescape(os.getenv('LSP_FILE')))
  local buf = vim.api.nvim_get_current_buf()
  local id = vim.lsp.start_client({name = 'envoy-reloader', cmd = {os.getenv('LSP_BIN'), 'lsp'},
    root_dir = vim.fn.fnamemodify(os.getenv('LSP_FILE'), ':h')})
  assert(id, 'the client did not start')
  vim.lsp.buf_attach_client(buf, id)
  assert(vim.wait(20000, function() return pubs > 0 end, 20), 'no diagnostics for the file as opened')
  local l = tonumber(os.getenv('LSP_LINE'))
  local line = vim.api.nvim_buf_get_lines(buf, l - 1, l, false)[1]
  vim.api.nvim_buf_set_lines(buf, l - 1, l, false, {(line:gsub('type:', 'tpye:', 1))})
  assert(vim.wait(20000, function()
    return #vim.diagnostic.get(buf, {severity = vim.diagnostic.severity.ERROR}) > 0
  end, 20), 'no error after the typo')
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(out, {lnum = d.lnum, col = d.col, message = d.message, severity = d.severity})
  end
  local f = assert(io.open(os.getenv('LSP_OUT'), 'w'))
  f:write(vim.fn.json_encode(out))
  f:close()
  vim.lsp.stop_client(id)
end)
if not ok then
  local f = io.open(os.getenv('LSP_OUT'), 'w')
  f:write(vim.fn.json_encode({error = tostring(err)}))
  f:close()
end
vim.cmd('qa!')
`

// TestNeovim has a real editor as the client: headless Neovim opens a
// corpus bootstrap, a typo is typed into it, and the diagnostic Neovim
// shows is check's.
func TestNeovim(t *testing.T) {
	nvim, err := exec.LookPath("nvim")
	if err != nil {
		t.Skip("nvim is not installed (Debian package neovim: apt-get install -y neovim)")
	}
	data, err := os.ReadFile(filepath.Join(corpus, "cors/frontend/envoy.yaml"))
	if err != nil {
		t.Skipf("no corpus: %v", err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "envoy.yaml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	line := lineOf(string(data), "    type: STRICT_DNS") + 1
	script := filepath.Join(dir, "test.lua")
	out := filepath.Join(dir, "out.json")
	if err := os.WriteFile(script, []byte(nvimScript), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", "luafile "+script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LSP_BIN="+builtBinary(t), "LSP_FILE="+file, "LSP_LINE="+strconv.Itoa(line), "LSP_OUT="+out,
		"XDG_STATE_HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CACHE_HOME="+dir)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nvim: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("nvim wrote no result: %v", err)
	}
	if strings.HasPrefix(string(raw), `{"error"`) {
		t.Fatalf("in nvim: %s", raw)
	}
	var got []struct {
		Lnum, Col, Severity int
		Message             string
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	// Neovim keeps diagnostics in its own order; check sorts by position.
	sort.SliceStable(got, func(i, j int) bool {
		return got[i].Lnum < got[j].Lnum || got[i].Lnum == got[j].Lnum && got[i].Col < got[j].Col
	})
	typo := strings.Replace(string(data), "    type: STRICT_DNS", "    tpye: STRICT_DNS", 1)
	if err := os.WriteFile(file, []byte(typo), 0o644); err != nil {
		t.Fatal(err)
	}
	want := checkJSON(t, dir, file)
	if len(got) != len(want) {
		t.Fatalf("nvim shows %+v, check says %v", got, want)
	}
	for i, w := range want {
		g := got[i]
		if g.Lnum != w.Line-1 || g.Col != w.Col-1 || g.Message != w.Message || g.Severity != int(severity(w.Severity)) {
			t.Errorf("nvim shows %+v, check says %v", g, w)
		}
	}
	for _, g := range got {
		t.Logf("nvim shows %d:%d %q", g.Lnum+1, g.Col+1, g.Message)
	}
}
