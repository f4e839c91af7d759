// Package architecture holds no code: its test keeps the import rules of
// docs/architecture.md true, so a forbidden import fails `make test`.
package architecture
