//go:build race

package lsp

// raceEnabled builds the binary under test with the race detector too.
const raceEnabled = true
