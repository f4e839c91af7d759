//go:build race

package bootstrap

// raceEnabled lets slow single-goroutine measurements skip under -race,
// where they take twenty times as long and can find no race.
const raceEnabled = true
